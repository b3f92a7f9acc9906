"""edl-dist daily distillation pipeline on YARN.

    ingest >> infer >> [train_kd, train_baseline] >> evaluate

Every task is one spark-submit of the edl-dist job jar against the same lake
(Airflow Variable ``edl_dist_lake``). ``--set run.id={{ ds_nodash }}`` gives all
tasks of one DAG run the same run id, so their metrics, checkpoints and the
report line up, and a retry or a manual re-run of a task continues that run.

Retries are safe: every stage is idempotent and resumable. ingest and infer
finish only the rows that are missing (a Delta commit is atomic, so a killed
attempt leaves no partial rows), and ``train --resume`` continues from the last
checkpoint under ``<lake>/checkpoints/<run>/``.

Needs: apache-airflow-providers-apache-spark with ``properties_file`` and
``deploy_mode`` on SparkSubmitOperator; the ``spark_default`` connection
pointing at YARN; ``spark-submit`` (Spark 4.0.1) and HADOOP_CONF_DIR on the
worker; the repository (jar + conf/) on the worker at $EDL_DIST_HOME
(default /opt/edl-dist).

With an s3a:// lake, train_kd and train_baseline are two drivers writing the
same Delta tables at once: configure Delta's DynamoDB log store (see
conf/spark-defaults.yarn.conf) or chain them one after the other.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

# Where the jar and conf/ live on the Airflow worker.
EDL_HOME = os.environ.get("EDL_DIST_HOME", "/opt/edl-dist")
# Jinja, not Variable.get(): read when a task runs, not at every DAG parse.
LAKE = "{{ var.value.get('edl_dist_lake', 's3a://my-bucket/edl-dist') }}"
RUN_ID = "{{ ds_nodash }}"

JAR = EDL_HOME + "/spark-jobs/target/edl-dist.jar"
# hadoop-aws and the AWS SDK modules S3A uses, for clusters without them.
S3_JAR = EDL_HOME + "/spark-jobs/target/edl-dist-s3.jar"
PROPERTIES = EDL_HOME + "/conf/spark-defaults.yarn.conf"


def edl_dist(task_id: str, *command: str) -> SparkSubmitOperator:
    """One pipeline stage: `edl-dist --lake LAKE --set run.id=RUN <command...>`."""
    return SparkSubmitOperator(
        task_id=task_id,
        conn_id="spark_default",
        application=JAR,
        jars=S3_JAR,
        java_class="io.edldist.jobs.cli.Main",
        properties_file=PROPERTIES,
        deploy_mode="cluster",
        name=f"edl-dist-{task_id}-{RUN_ID}",
        application_args=["--lake", LAKE, "--set", f"run.id={RUN_ID}", *command],
        # Puts conf/log4j2.properties on the classpath of spark-submit, which
        # also ships it to the driver and executors.
        env_vars={"SPARK_CONF_DIR": EDL_HOME + "/conf"},
    )


with DAG(
    dag_id="edl_dist",
    description="Knowledge distillation: soft labels on an elastic teacher pool, then the student",
    doc_md=__doc__,
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    # Two runs on one lake would contend for the same tables and teacher pool.
    max_active_runs=1,
    default_args={
        "owner": "edl-dist",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
    },
    tags=["edl-dist", "spark", "distillation"],
) as dag:
    ingest = edl_dist("ingest", "ingest")
    infer = edl_dist("infer", "infer")
    train_kd = edl_dist("train_kd", "train", "--mode", "kd", "--resume")
    train_baseline = edl_dist("train_baseline", "train", "--mode", "baseline", "--resume")
    evaluate = edl_dist("evaluate", "evaluate")

    ingest >> infer >> [train_kd, train_baseline] >> evaluate
