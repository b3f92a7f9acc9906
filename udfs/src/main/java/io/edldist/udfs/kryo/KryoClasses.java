package io.edldist.udfs.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.edldist.udfs.blockwise.BlockTask;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.BlockwiseModels;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelMeta;
import io.edldist.udfs.train.TrainSettings;
import java.util.List;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Registers edl-dist's types that Spark moves between driver and executors (a broadcast teacher, a
 * block task's result) with Java serialization under Kryo. Spark's Kryo (4.x) cannot build a field
 * serializer for Java records, so with {@code spark.serializer=KryoSerializer}, which the cluster
 * profiles set, a broadcast {@link ModelBundle} would fail; the driver adds this class to {@code
 * spark.kryo.registrator}. Java serialization handles records, and these objects are few and large
 * (a model's bytes) or small.
 */
public final class KryoClasses implements KryoRegistrator {
  static final List<Class<?>> CLASSES =
      List.of(
          ModelBundle.class,
          ModelMeta.class,
          Features.class,
          TrainSettings.class,
          BlockTask.Settings.class,
          BlockTask.Trained.class,
          BlockwiseModels.ConvBlock.class);

  @Override
  public void registerClasses(Kryo kryo) {
    for (Class<?> c : CLASSES) {
      kryo.register(c, new JavaSerializer());
    }
  }
}
