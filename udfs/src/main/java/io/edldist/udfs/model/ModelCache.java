package io.edldist.udfs.model;

import ai.djl.Device;
import ai.djl.Model;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models loaded into this JVM, keyed by name, version and device: a teacher is loaded once per
 * executor JVM and device and shared by every task and stage that runs there, never once per task
 * or partition. Loading holds the key's lock, so concurrent tasks wait for the first load instead
 * of loading twice. Models stay loaded for the life of the JVM (an executor serves one pipeline; a
 * new teacher version is a new key). Predictors are per task thread and closed by the caller.
 */
public final class ModelCache {
  private static final ConcurrentHashMap<String, Model> MODELS = new ConcurrentHashMap<>();
  private static final AtomicInteger LOADS = new AtomicInteger();

  private ModelCache() {}

  /** The model on the CPU. */
  public static Model get(ModelBundle bundle) {
    return get(bundle, Device.cpu());
  }

  public static Model get(ModelBundle bundle, Device device) {
    return MODELS.computeIfAbsent(
        bundle.meta().id() + "|" + device,
        id -> {
          LOADS.incrementAndGet();
          return bundle.load(device);
        });
  }

  /** How many times a model was loaded in this JVM; tests use it to show the cache works. */
  public static int loads() {
    return LOADS.get();
  }
}
