package io.edldist.udfs.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * libtorch's intra-op thread count. The engine is loaded first: {@link JniUtils} calls into the
 * native library, which only the engine's start loads, so a JVM whose first libtorch call sets the
 * threads (a fresh executor, a command that has not run a model yet) would otherwise fail with an
 * {@link UnsatisfiedLinkError}.
 */
public final class TorchThreads {
  private TorchThreads() {}

  public static void set(int threads) {
    Engine.getEngine("PyTorch");
    JniUtils.setNumThreads(threads);
  }
}
