#!/usr/bin/env bash
# Spark GPU discovery script (spark.{executor,driver}.resource.gpu.discoveryScript):
# prints the GPUs this node offers as Spark's ResourceInformation JSON, e.g.
#   {"name": "gpu", "addresses": ["0", "1"]}
# An address is the CUDA device index; edl-dist runs each task's libtorch on the
# address Spark assigned to it (infer.device, train.device).
set -euo pipefail
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/^ *//' -e 's/.*/"&"/' | paste -sd, -)
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
