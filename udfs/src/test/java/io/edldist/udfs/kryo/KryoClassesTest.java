package io.edldist.udfs.kryo;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.udfs.infer.Features;
import io.edldist.udfs.model.ModelBundle;
import io.edldist.udfs.model.ModelMeta;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

/** What the cluster profiles' Kryo serializer does to the objects Spark ships for edl-dist. */
class KryoClassesTest {
  private static SerializerInstance kryo() {
    return new KryoSerializer(
            new SparkConf().set("spark.kryo.registrator", KryoClasses.class.getName()))
        .newInstance();
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) {
    SerializerInstance k = kryo();
    Class<T> type = (Class<T>) value.getClass();
    return k.deserialize(
        k.serialize(value, ClassTag$.MODULE$.apply(type)), ClassTag$.MODULE$.apply(type));
  }

  @Test
  void aModelBundleAndItsRecordsSurviveKryo() {
    ModelBundle bundle =
        ModelBundle.ofTorchScript("teacher", new byte[] {1, 2, 3}, new int[] {1, 28, 28}, 10);
    ModelBundle back = roundTrip(bundle);
    assertThat(back.meta()).isEqualTo(bundle.meta());
    assertThat(back.files()).containsOnlyKeys(bundle.files().keySet());
    assertThat(back.files().get("model.pt")).containsExactly(1, 2, 3);
    assertThat(roundTrip(new Features(Features.UINT8, new int[] {1, 28, 28})))
        .isEqualTo(new Features(Features.UINT8, new int[] {1, 28, 28}));
    assertThat(Map.of("m", roundTrip(bundle.meta())).get("m").id()).isEqualTo(bundle.meta().id());
    assertThat(KryoClasses.CLASSES).contains(ModelMeta.class);
  }

  @Test
  void withoutTheRegistrationKryoCannotShipARecord() {
    SerializerInstance plain = new KryoSerializer(new SparkConf()).newInstance();
    ModelMeta meta = ModelMeta.untrained("t", "mlp", 8, new int[] {4}, 3);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> plain.serialize(meta, ClassTag$.MODULE$.apply(ModelMeta.class)))
        .hasMessageContaining("ModelMeta");
  }
}
