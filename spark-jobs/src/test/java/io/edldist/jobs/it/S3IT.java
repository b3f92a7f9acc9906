package io.edldist.jobs.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.edldist.jobs.cli.Main;
import io.edldist.jobs.lake.LocalFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The pipeline on an {@code s3a://} lake, with the data and a TorchScript teacher on {@code s3a://}
 * too, against a real S3 server on 127.0.0.1 (S3Proxy, filesystem backend, started as a process of
 * its own from {@code target/it/s3proxy.jar}); and the three ways an S3 lake is misconfigured, each
 * one line and exit 2 within seconds.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class S3IT extends SparkTestBase {
  private static final String IDENTITY = "edl-test";
  private static final String CREDENTIAL = "edl-test-secret";
  private static Path store;
  private static Process s3proxy;
  private static int port;
  private static String lastError = "";

  @BeforeAll
  static void startS3() throws Exception {
    store = Files.createTempDirectory("edl-dist-s3");
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    Path conf = store.resolve("s3proxy.conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + IDENTITY,
            "s3proxy.credential=" + CREDENTIAL,
            // in memory: unlike the filesystem provider, it keeps empty folder markers ("dir/"),
            // as S3 does, which Spark's streaming checkpoints rely on
            "jclouds.provider=transient",
            ""));
    s3proxy =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                Path.of("target/it/s3proxy.jar").toAbsolutePath().toString(),
                "--properties",
                conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(store.resolve("s3proxy.log").toFile())
            .start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!listening(port)) {
      assertThat(s3proxy.isAlive()).as("S3Proxy is running; see " + store).isTrue();
      assertThat(System.nanoTime()).as("S3Proxy started within a minute").isLessThan(deadline);
      Thread.sleep(200);
    }
    try (S3Client client = client()) {
      for (String bucket : List.of("edl", "edl-badcreds", "edl-badendpoint")) {
        client.createBucket(b -> b.bucket(bucket));
      }
    }
  }

  private static S3Client client() {
    return S3Client.builder()
        .endpointOverride(java.net.URI.create("http://127.0.0.1:" + port))
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL)))
        .build();
  }

  private static int objects(String bucket) {
    try (S3Client client = client()) {
      return client.listObjectsV2(b -> b.bucket(bucket)).keyCount();
    }
  }

  @AfterAll
  static void stopS3() throws Exception {
    if (s3proxy != null) {
      s3proxy.destroyForcibly().waitFor();
    }
    LocalFiles.deleteTree(store);
  }

  /** The S3 settings every command gets, as a user puts them in the config file. */
  private static Map<String, String> s3() {
    Map<String, String> s = new TreeMap<>();
    s.put("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:" + port);
    s.put("spark.hadoop.fs.s3a.endpoint.region", "us-east-1");
    s.put("spark.hadoop.fs.s3a.path.style.access", "true");
    s.put("spark.hadoop.fs.s3a.connection.ssl.enabled", "false");
    s.put("spark.hadoop.fs.s3a.access.key", IDENTITY);
    s.put("spark.hadoop.fs.s3a.secret.key", CREDENTIAL);
    return s;
  }

  @Test
  @Order(1)
  void ingestInferTrainEvaluateWithLakeDataAndTeacherOnS3() throws Exception {
    FileSystem fs = s3Fs();
    try (var files = Files.list(data)) {
      for (Path f : files.toList()) {
        upload(fs, f, "s3a://edl/data/" + f.getFileName());
      }
    }
    upload(
        fs,
        Path.of("src/test/resources/teachers/torchscript-cnn/teacher.pt"),
        "s3a://edl/teachers/teacher.pt");
    String[] common = {"--lake", "s3a://edl/lake", "--data", "s3a://edl/data"};
    assertThat(run(common, "ingest")).isZero();
    assertThat(run(common, "infer", "--teacher", "s3a://edl/teachers/teacher.pt")).isZero();
    assertThat(
            run(
                common,
                "--set",
                "teacher.path=s3a://edl/teachers/teacher.pt",
                "train",
                "--mode",
                "kd"))
        .isZero();
    assertThat(
            run(
                common,
                "--set",
                "teacher.path=s3a://edl/teachers/teacher.pt",
                "--set",
                "run.id=s3",
                "evaluate"))
        .isZero();

    assertThat(
            sql("SELECT count(*), count(DISTINCT id) FROM delta.`s3a://edl/lake/soft_labels`")
                .first())
        .isEqualTo(
            org.apache.spark.sql.RowFactory.create((long) TRAIN + TEST, (long) TRAIN + TEST));
    List<String> objects = objects(fs, "s3a://edl/lake/");
    assertThat(objects)
        .anyMatch(o -> o.matches(".*/models/teacher/[0-9a-f]{12}/model\\.json"))
        .anyMatch(o -> o.matches(".*/models/student-kd/[0-9a-f]{12}/model\\.json"))
        .anyMatch(o -> o.endsWith("/reports/s3/summary.json"))
        .noneMatch(o -> o.contains(".tmp-"))
        .noneMatch(o -> o.contains("/checkpoints/"));
  }

  @Test
  @Order(2)
  void refusedCredentialsAreOneLineAndExitTwoWithinSeconds() {
    long t0 = System.nanoTime();
    int code =
        run(
            new String[] {"--lake", "s3a://edl-badcreds/lake"},
            "--set",
            "spark.hadoop.fs.s3a.bucket.edl-badcreds.secret.key=wrong",
            "ingest");
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(code).isEqualTo(2);
    assertThat(lastError)
        .startsWith(
            "edl-dist: Cannot open lake s3a://edl-badcreds/lake: bucket edl-badcreds refused the credentials")
        .contains("spark.hadoop.fs.s3a.secret.key")
        .doesNotContain("wrong")
        .doesNotContain(CREDENTIAL);
    assertThat(seconds).as("seconds to the error").isLessThan(20);
    assertThat(objects("edl-badcreds")).as("objects written to the bucket").isZero();
    System.err.printf("S3IT: refused credentials reported after %.1f s%n", seconds);
  }

  @Test
  @Order(3)
  void anEndpointThatDoesNotAnswerIsOneLineAndExitTwoWithinSeconds() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      closed = s.getLocalPort();
    }
    long t0 = System.nanoTime();
    int code =
        run(
            new String[] {"--lake", "s3a://edl-badendpoint/lake"},
            "--set",
            "spark.hadoop.fs.s3a.bucket.edl-badendpoint.endpoint=http://127.0.0.1:" + closed,
            "ingest");
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(code).isEqualTo(2);
    assertThat(lastError)
        .startsWith("edl-dist: Cannot open lake s3a://edl-badendpoint/lake: the S3 endpoint")
        .contains("did not answer")
        .contains("spark.hadoop.fs.s3a.endpoint");
    assertThat(seconds).as("seconds to the error").isLessThan(30);
    System.err.printf("S3IT: unanswered endpoint reported after %.1f s%n", seconds);
  }

  @Test
  @Order(4)
  void aMissingBucketIsOneLineAndExitTwo() {
    assertThat(run(new String[] {"--lake", "s3a://no-such-bucket/lake"}, "ingest")).isEqualTo(2);
    assertThat(lastError)
        .startsWith(
            "edl-dist: Cannot open lake s3a://no-such-bucket/lake: bucket no-such-bucket does not exist")
        .contains("Create the bucket");
  }

  @Test
  @Order(5)
  void configOutputMasksCredentials() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertThat(run(new String[] {"--lake", "s3a://edl/lake"}, "config")).isZero();
    } finally {
      System.setOut(old);
    }
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("spark.hadoop.fs.s3a.secret.key = ********")
        .contains("spark.hadoop.fs.s3a.endpoint = http://127.0.0.1:" + port)
        .doesNotContain(CREDENTIAL);
  }

  /** Runs the command line with the test's Spark and S3 settings; keeps its last stderr line. */
  private static int run(String[] common, String... args) {
    List<String> all = new ArrayList<>(List.of(common));
    Map<String, String> settings = new TreeMap<>(sparkSettings());
    settings.putAll(s3());
    settings.put("ingest.train-limit", "0");
    settings.put("train.epochs", "1");
    settings.forEach((k, v) -> all.addAll(List.of("--set", k + "=" + v)));
    all.addAll(List.of(args));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = Main.run(all.toArray(String[]::new));
    } finally {
      System.setErr(old);
    }
    String[] lines = err.toString(StandardCharsets.UTF_8).strip().split("\n");
    lastError = lines[lines.length - 1];
    return code;
  }

  private static FileSystem s3Fs() throws IOException {
    Configuration conf = new Configuration(spark.sparkContext().hadoopConfiguration());
    s3().forEach((k, v) -> conf.set(k.substring("spark.hadoop.".length()), v));
    return FileSystem.newInstance(URI.create("s3a://edl/"), conf);
  }

  /** Writes a local file to the store through an output stream, as edl-dist writes. */
  private static void upload(FileSystem fs, Path local, String to) throws IOException {
    try (var out = fs.create(new org.apache.hadoop.fs.Path(to), true)) {
      Files.copy(local, out);
    }
  }

  private static List<String> objects(FileSystem fs, String prefix) throws IOException {
    List<String> out = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> it =
        fs.listFiles(new org.apache.hadoop.fs.Path(prefix), true);
    while (it.hasNext()) {
      out.add(it.next().getPath().toString());
    }
    return out;
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
