package io.edldist.jobs.ml;

import io.edldist.jobs.lake.Lake;
import io.edldist.jobs.lake.ModelStore;
import io.edldist.udfs.EdlException;
import io.edldist.udfs.infer.Features;
import io.edldist.udfs.infer.PartitionPredictor;
import io.edldist.udfs.model.Devices;
import io.edldist.udfs.model.ModelBundle;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A teacher as a Spark ML {@link Transformer}: appends to every row the logits the teacher gives
 * for its features. This is the shape of DJL's Spark extension ({@code ai.djl.spark}, published for
 * Spark 3.5 and Scala 2.12 only) on Spark 4, usable alone or as a stage of a {@code Pipeline},
 * which can be saved and loaded with it ({@link DefaultParamsWritable}, {@link #read}).
 *
 * <p>Params: the model is either {@code modelPath}, a TorchScript file read through Hadoop's
 * FileSystem (a local path, {@code file://}, {@code s3a://}, {@code hdfs://}), with {@code
 * inputShape} the shape of one sample (e.g. {@code 1,28,28}); or {@code lake} and {@code
 * modelName}, the latest version in the lake's model store ({@code models/<name>/LATEST}), whose
 * input shape is stored with it. {@code inputCol} (default {@code features}) holds the samples:
 * uint8 pixels as {@code BINARY} (scaled to [0, 1]) or {@code ARRAY<FLOAT>}, as in a samples table;
 * {@code outputCol} (default {@code logits}) gets {@code ARRAY<FLOAT>}; {@code batchSize} (default
 * 256) rows go through the model at once; {@code device} is {@code auto}, {@code cpu} or {@code
 * gpu} (see {@link Devices}).
 *
 * <p>Cost: {@link #transform} reads the model on the driver and runs one sample through it, so a
 * broken or mismatched model fails there with one line, then broadcasts its bytes (once per call)
 * and maps partitions with {@link PartitionPredictor}: no shuffle; the model loads once per
 * executor JVM and stays cached there; each task opens one predictor, closed when the task ends;
 * rows are scored in batches and streamed, never held. The broadcast lives as long as the returned
 * DataFrame is referenced.
 */
public final class TeacherTransformer extends Transformer implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  private static final String NAME = "TeacherTransformer";

  private final String uid;
  private final Param<String> modelPath;
  private final Param<String> inputShape;
  private final Param<String> lake;
  private final Param<String> modelName;
  private final Param<String> inputCol;
  private final Param<String> outputCol;
  private final IntParam batchSize;
  private final Param<String> device;

  public TeacherTransformer() {
    this(Identifiable.randomUID("teacher"));
  }

  /** Spark ML makes copies and loaded stages through this constructor. */
  public TeacherTransformer(String uid) {
    this.uid = uid; // before the params, which take their parent's uid
    modelPath = new Param<>(this, "modelPath", "TorchScript file of the teacher (or set lake)");
    inputShape =
        new Param<>(
            this, "inputShape", "shape of one sample, e.g. 1,28,28 (needed with modelPath)");
    lake = new Param<>(this, "lake", "lake whose model store holds the teacher (or set modelPath)");
    modelName = new Param<>(this, "modelName", "name of the teacher in the lake's model store");
    inputCol = new Param<>(this, "inputCol", "features column: BINARY (uint8) or ARRAY<FLOAT>");
    outputCol = new Param<>(this, "outputCol", "logits column to add: ARRAY<FLOAT>");
    batchSize = new IntParam(this, "batchSize", "rows per forward pass");
    device = new Param<>(this, "device", "auto, cpu or gpu");
    setDefault(modelPath, "");
    setDefault(inputShape, "");
    setDefault(lake, "");
    setDefault(modelName, "teacher");
    setDefault(inputCol, "features");
    setDefault(outputCol, "logits");
    setDefault(batchSize, 256);
    setDefault(device, Devices.AUTO);
  }

  /** Loads a saved transformer; Spark ML calls it for a stage of a saved {@code Pipeline}. */
  public static MLReader<TeacherTransformer> read() {
    return new DefaultParamsReadable<TeacherTransformer>() {}.read();
  }

  public static TeacherTransformer load(String path) {
    return read().load(path);
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> modelPath() {
    return modelPath;
  }

  public Param<String> inputShape() {
    return inputShape;
  }

  public Param<String> lake() {
    return lake;
  }

  public Param<String> modelName() {
    return modelName;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> outputCol() {
    return outputCol;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public Param<String> device() {
    return device;
  }

  public TeacherTransformer setModelPath(String value) {
    set(modelPath, value);
    return this;
  }

  public TeacherTransformer setInputShape(String value) {
    set(inputShape, value);
    return this;
  }

  public TeacherTransformer setLake(String value) {
    set(lake, value);
    return this;
  }

  public TeacherTransformer setModelName(String value) {
    set(modelName, value);
    return this;
  }

  public TeacherTransformer setInputCol(String value) {
    set(inputCol, value);
    return this;
  }

  public TeacherTransformer setOutputCol(String value) {
    set(outputCol, value);
    return this;
  }

  public TeacherTransformer setBatchSize(int value) {
    set(batchSize, value);
    return this;
  }

  public TeacherTransformer setDevice(String value) {
    set(device, value);
    return this;
  }

  /** The input's columns and {@code outputCol}; checks the params and the input column. */
  @Override
  public StructType transformSchema(StructType schema) {
    checkParams();
    featureType(schema);
    String out = getOrDefault(outputCol);
    if (Arrays.asList(schema.fieldNames()).contains(out)) {
      throw invalid(
          "outputCol '" + out + "'",
          "the input has a column of that name already",
          "Set outputCol to a new column name");
    }
    return schema.add(out, DataTypes.createArrayType(DataTypes.FloatType, false), false);
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType output = transformSchema(dataset.schema());
    String type = featureType(dataset.schema());
    SparkSession spark = dataset.sparkSession();
    ModelBundle teacher = teacher(spark, type);
    PartitionPredictor predictor =
        PartitionPredictor.builder(
                JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(teacher))
            .setFeatures(new Features(type, teacher.meta().inputShape()))
            .setBatchSize((Integer) getOrDefault(batchSize))
            .optAppendLogits(dataset.schema().fieldIndex(getOrDefault(inputCol)))
            .optThreads(Integer.parseInt(spark.conf().get("spark.task.cpus", "1")))
            .optSource(source())
            .optDevice(getOrDefault(device))
            .build();
    return dataset.toDF().mapPartitions(predictor, Encoders.row(output));
  }

  @Override
  public TeacherTransformer copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /**
   * The teacher the params name, tried here on one sample of this feature type: a TorchScript file
   * (for samples of shape inputShape) or a lake's stored model (with its stored shape).
   */
  private ModelBundle teacher(SparkSession spark, String featureType) {
    String path = getOrDefault(modelPath);
    if (!path.isEmpty()) {
      byte[] pt =
          Lake.readExternal(spark.sparkContext().hadoopConfiguration(), path, NAME + " modelPath");
      String name = path.replaceAll(".*/", "").replaceAll("\\.pt$", "");
      Features features = new Features(featureType, Features.parseShape(getOrDefault(inputShape)));
      return ModelStore.torchScript(name, pt, features);
    }
    ModelBundle stored =
        new ModelStore(new Lake(spark, getOrDefault(lake)))
            .latestOrFail(getOrDefault(modelName), "edl-dist train-teacher or infer");
    ModelStore.check(stored, new Features(featureType, stored.meta().inputShape()));
    return stored;
  }

  private String source() {
    String path = getOrDefault(modelPath);
    return path.isEmpty() ? getOrDefault(lake) + "/models/" + getOrDefault(modelName) : path;
  }

  private void checkParams() {
    boolean file = !getOrDefault(modelPath).isEmpty();
    if (file == !getOrDefault(lake).isEmpty()) {
      throw invalid(
          "model",
          file ? "both modelPath and lake are set" : "neither modelPath nor lake is set",
          "Set modelPath to a TorchScript file, or lake (and modelName) to a lake's stored model");
    }
    if (file && Features.parseShape(getOrDefault(inputShape)) == null) {
      throw invalid(
          "inputShape '" + getOrDefault(inputShape) + "'",
          "a TorchScript teacher needs the shape of one sample",
          "Set inputShape to the sample's dimensions, e.g. 1,28,28");
    }
    int batch = (Integer) getOrDefault(batchSize);
    if (batch < 1) {
      throw invalid("batchSize " + batch, "it must be 1 or more", "Set batchSize, e.g. 256");
    }
    String d = getOrDefault(device);
    if (!List.of(Devices.AUTO, Devices.CPU, Devices.GPU).contains(d)) {
      throw invalid(
          "device '" + d + "'", "it must be auto, cpu or gpu", "Set device to one of them");
    }
  }

  /** How the input column becomes model input: {@link Features#UINT8} or {@link Features#FLOAT}. */
  private String featureType(StructType schema) {
    String in = getOrDefault(inputCol);
    if (!Arrays.asList(schema.fieldNames()).contains(in)) {
      throw invalid(
          "inputCol '" + in + "'",
          "the input has no such column (its columns: "
              + String.join(", ", schema.fieldNames())
              + ")",
          "Set inputCol to the column that holds the samples' features");
    }
    DataType type = schema.apply(in).dataType();
    if (type.equals(DataTypes.BinaryType)) {
      return Features.UINT8;
    } else if (type instanceof ArrayType a && a.elementType().equals(DataTypes.FloatType)) {
      return Features.FLOAT;
    }
    throw invalid(
        "inputCol '" + in + "'",
        "its type is " + type.sql() + ", not BINARY (uint8 pixels) or ARRAY<FLOAT>",
        "Set inputCol to the features column, or cast it to ARRAY<FLOAT>");
  }

  private static EdlException invalid(String param, String problem, String fix) {
    return EdlException.invalid(NAME + " " + param, problem, fix);
  }
}
