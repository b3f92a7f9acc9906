package io.edldist.jobs.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edldist.udfs.EdlException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.IntSummaryStatistics;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  private static final Path FASHION_MNIST = Paths.get("/usr/share/datasets/fashion-mnist");

  @TempDir Path dir;

  @Test
  void readsPlainImages() throws IOException {
    Path file = write("imgs", images(3, 4, 5));

    IdxReader.Images images = readImages(file);

    assertThat(images.file()).isEqualTo(hadoop(file));
    assertThat(images.count()).isEqualTo(3);
    assertThat(images.rows()).isEqualTo(4);
    assertThat(images.cols()).isEqualTo(5);
    assertThat(images.pixels()).isEqualTo(pixels(3 * 4 * 5));
  }

  @Test
  void readsGzippedImages() throws IOException {
    Path file = write("imgs.gz", gzip(images(7, 28, 28)));

    IdxReader.Images images = readImages(file);

    assertThat(images.count()).isEqualTo(7);
    assertThat(images.rows()).isEqualTo(28);
    assertThat(images.cols()).isEqualTo(28);
    assertThat(images.pixels()).isEqualTo(pixels(7 * 28 * 28));
  }

  @Test
  void readsLargeGzippedImagesThatCompressWell() throws IOException {
    byte[] idx = header(IdxReader.IMAGES_MAGIC, 5000, 28, 28);
    byte[] zeros = new byte[5000 * 28 * 28];
    Path file = write("zeros.gz", gzip(concat(idx, zeros)));

    assertThat(readImages(file).pixels()).isEqualTo(zeros);
  }

  @Test
  void readsPlainAndGzippedLabels() throws IOException {
    Path plain = write("labels", labels(12));
    Path gz = write("labels.gz", gzip(labels(12)));

    assertThat(readLabels(plain)).isEqualTo(labelValues(12));
    assertThat(readLabels(gz)).isEqualTo(labelValues(12));
  }

  @Test
  void returnsLabelsRaw() throws IOException {
    byte[] raw = {0, 9, 10, (byte) 255};
    Path file = write("labels", concat(header(IdxReader.LABELS_MAGIC, 4), raw));

    assertThat(readLabels(file)).isEqualTo(raw);
  }

  @Test
  void readsEmptySplitFiles() throws IOException {
    assertThat(readImages(write("imgs", images(0, 28, 28))).count()).isZero();
    assertThat(readLabels(write("labels", labels(0)))).isEmpty();
  }

  @Test
  void detectsGzipByMagicBytesNotByExtension() throws IOException {
    Path gzWithoutSuffix = write("imgs", gzip(images(2, 3, 3)));
    Path plainWithGzSuffix = write("labels.gz", labels(5));

    assertThat(readImages(gzWithoutSuffix).pixels()).isEqualTo(pixels(18));
    assertThat(readLabels(plainWithGzSuffix)).isEqualTo(labelValues(5));
  }

  @Test
  void readsSplitFromPlainFiles() throws IOException {
    writeSplit("t10k", 6, false);

    IdxReader.Split split = readSplit(dir, "t10k", "test");

    assertThat(split.name()).isEqualTo("test");
    assertThat(split.images().file()).isEqualTo(hadoop(dir.resolve("t10k-images-idx3-ubyte")));
    assertThat(split.images().count()).isEqualTo(6);
    assertThat(split.labels()).isEqualTo(labelValues(6));
  }

  @Test
  void readSplitPrefersGzippedFiles() throws IOException {
    writeSplit("train", 3, false);
    writeSplit("train", 5, true);

    IdxReader.Split split = readSplit(dir, "train", "train");

    assertThat(split.images().file()).isEqualTo(hadoop(dir.resolve("train-images-idx3-ubyte.gz")));
    assertThat(split.images().count()).isEqualTo(5);
    assertThat(split.labels()).hasSize(5);
  }

  @Test
  void missingSplitFilesNameWhatWasLookedForAndWhere() throws IOException {
    assertEdl(() -> readSplit(dir, "train", "train"))
        .hasMessageStartingWith("Cannot find the idx files of the train split")
        .hasMessageContaining("train-images-idx3-ubyte.gz or train-images-idx3-ubyte")
        .hasMessageContaining("train-labels-idx1-ubyte.gz or train-labels-idx1-ubyte")
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("--data DIR")
        .hasMessageContaining("apt-get install -y dataset-fashion-mnist");

    write("train-images-idx3-ubyte.gz", gzip(images(2, 2, 2)));
    assertEdl(() -> readSplit(dir, "train", "train"))
        .hasMessageContaining("train-labels-idx1-ubyte.gz or train-labels-idx1-ubyte")
        .hasMessageNotContaining("train-images");
  }

  @Test
  void missingFolderIsReported() {
    Path missing = dir.resolve("nope");

    assertEdl(() -> readSplit(missing, "train", "train"))
        .hasMessageContaining(missing + " does not exist")
        .hasMessageContaining("--data DIR");
  }

  @Test
  void missingFileIsReported() {
    Path missing = dir.resolve("train-images-idx3-ubyte");

    assertEdl(() -> readImages(missing))
        .hasMessageStartingWith("Cannot read idx file " + hadoop(missing))
        .hasMessageContaining("no such file")
        .hasMessageContaining("--data DIR");
  }

  @Test
  void folderInsteadOfFileIsReported() {
    assertEdl(() -> readLabels(dir))
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("folder");
  }

  @Test
  void labelsFileGivenAsImagesIsReported() throws IOException {
    Path file = write("train-labels-idx1-ubyte", labels(4));

    assertEdl(() -> readImages(file))
        .hasMessageStartingWith("Invalid idx file " + hadoop(file))
        .hasMessageContaining("expected 2051 (0x00000803")
        .hasMessageContaining("found 2049 (0x00000801")
        .hasMessageContaining("a labels file where an images file was expected")
        .hasMessageContaining("*-images-idx3-ubyte");
  }

  @Test
  void imagesFileGivenAsLabelsIsReported() throws IOException {
    Path file = write("train-images-idx3-ubyte.gz", gzip(images(2, 2, 2)));

    assertEdl(() -> readLabels(file))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("expected 2049")
        .hasMessageContaining("found 2051")
        .hasMessageContaining("an images file where a labels file was expected");
  }

  @Test
  void foreignFileIsReportedWithItsMagic() throws IOException {
    Path file =
        write("page.gz", "<!DOCTYPE html><html></html>".getBytes(StandardCharsets.US_ASCII));

    assertEdl(() -> readImages(file))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("expected 2051")
        .hasMessageContaining("found 1008813135 (0x3C21444F)")
        .hasMessageContaining("not an idx images file");
  }

  @Test
  void truncatedPixelsAreReported() throws IOException {
    byte[] full = images(3, 4, 5);
    Path plain = write("imgs", Arrays.copyOf(full, full.length - 1));
    Path gz = write("imgs.gz", gzip(Arrays.copyOf(full, full.length - 10)));

    assertEdl(() -> readImages(plain))
        .hasMessageStartingWith("Invalid idx file " + hadoop(plain) + ": truncated")
        .hasMessageContaining("header says 3 images of 4x5 (60 bytes)")
        .hasMessageContaining("holds 59 bytes after the 16-byte header")
        .hasMessageContaining("apt-get install --reinstall dataset-fashion-mnist");
    assertEdl(() -> readImages(gz))
        .hasMessageContaining(gz.toString())
        .hasMessageContaining("truncated")
        .hasMessageContaining("holds 50 uncompressed bytes");
  }

  @Test
  void truncatedLabelsAreReported() throws IOException {
    byte[] full = labels(10);
    Path file = write("labels", Arrays.copyOf(full, full.length - 3));

    assertEdl(() -> readLabels(file))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("header says 10 labels")
        .hasMessageContaining("holds 7 bytes");
  }

  @Test
  void truncatedHeaderAndEmptyFileAreReported() throws IOException {
    Path shortHeader = write("imgs", Arrays.copyOf(images(1, 2, 2), 10));
    Path empty = write("empty", new byte[0]);
    Path emptyGz = write("empty.gz", gzip(new byte[0]));

    assertEdl(() -> readImages(shortHeader))
        .hasMessageContaining(shortHeader.toString())
        .hasMessageContaining("truncated: the file holds only 10 bytes")
        .hasMessageContaining("16-byte header");
    assertEdl(() -> readLabels(empty))
        .hasMessageContaining(empty.toString())
        .hasMessageContaining("the file is empty");
    assertEdl(() -> readLabels(emptyGz)).hasMessageContaining("the file is empty");
  }

  @Test
  void trailingGarbageIsReported() throws IOException {
    byte[] garbage = {1, 2, 3};
    Path plain = write("imgs", concat(images(2, 3, 3), garbage));
    Path gz = write("labels.gz", gzip(concat(labels(4), garbage)));

    assertEdl(() -> readImages(plain))
        .hasMessageStartingWith("Invalid idx file " + hadoop(plain) + ": trailing data")
        .hasMessageContaining("2 images of 3x3 (18 bytes)")
        .hasMessageContaining("3 more bytes");
    assertEdl(() -> readLabels(gz))
        .hasMessageContaining(gz.toString())
        .hasMessageContaining("trailing data")
        .hasMessageContaining("3 more uncompressed bytes");
  }

  @Test
  void truncatedGzipIsReported() throws IOException {
    byte[] gz = gzip(noisyImages(50, 28, 28));
    Path file = write("imgs.gz", Arrays.copyOf(gz, gz.length / 2));

    assertEdl(() -> readImages(file))
        .hasMessageStartingWith("Invalid idx file " + hadoop(file))
        .hasMessageContaining("corrupt or truncated gzip stream");
  }

  @Test
  void gzipMissingOnlyItsTrailerIsReported() throws IOException {
    byte[] gz = gzip(labels(100));
    Path file = write("labels.gz", Arrays.copyOf(gz, gz.length - 8));

    assertEdl(() -> readLabels(file)).hasMessageContaining("gzip stream");
  }

  @Test
  void garbledGzipIsReported() throws IOException {
    byte[] gz = gzip(noisyImages(50, 28, 28));
    for (int i = gz.length / 2; i < gz.length / 2 + 16; i++) {
      gz[i] ^= (byte) 0xA5;
    }
    Path file = write("imgs.gz", gz);

    assertEdl(() -> readImages(file))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("gzip stream");
  }

  @Test
  void garbledGzipHeaderIsReported() throws IOException {
    byte[] gz = gzip(labels(10));
    gz[2] = 7;
    Path file = write("labels.gz", gz);

    assertEdl(() -> readLabels(file))
        .hasMessageContaining(file.toString())
        .hasMessageContaining("gzip stream");
  }

  @Test
  void negativeAndZeroDimensionsAreReported() throws IOException {
    Path negativeCount = write("a", header(IdxReader.IMAGES_MAGIC, -5, 28, 28));
    Path zeroRows = write("b", header(IdxReader.IMAGES_MAGIC, 5, 0, 28));
    Path negativeLabels = write("c", header(IdxReader.LABELS_MAGIC, -1));

    assertEdl(() -> readImages(negativeCount))
        .hasMessageContaining(negativeCount.toString())
        .hasMessageContaining("absurd dimensions: header says -5 images of 28x28");
    assertEdl(() -> readImages(zeroRows))
        .hasMessageContaining("absurd dimensions: header says 5 images of 0x28");
    assertEdl(() -> readLabels(negativeLabels))
        .hasMessageContaining(negativeLabels.toString())
        .hasMessageContaining("header says -1 labels");
  }

  @Test
  void hugeDimensionsAreReportedWithoutAllocating() throws IOException {
    Path plain = write("a", header(IdxReader.IMAGES_MAGIC, 100_000, 1000, 1000));
    Path gz = write("b.gz", gzip(header(IdxReader.IMAGES_MAGIC, 3, 65_536, 65_536)));
    Path bigButFits = write("c.gz", gzip(header(IdxReader.IMAGES_MAGIC, 1_000_000, 28, 28)));

    assertEdl(() -> readImages(plain))
        .hasMessageContaining("absurd dimensions: header says 100000 images of 1000x1000")
        .hasMessageContaining("more than the 2147483639 bytes");
    assertEdl(() -> readImages(gz))
        .hasMessageContaining("absurd dimensions: header says 3 images of 65536x65536");
    assertEdl(() -> readImages(bigButFits))
        .hasMessageContaining("truncated: header says 1000000 images of 28x28 (784000000 bytes)")
        .hasMessageContaining("holds 0 uncompressed bytes");
  }

  @Test
  void disagreeingCountsNameBothFiles() throws IOException {
    Path images = write("train-images-idx3-ubyte.gz", gzip(images(5, 2, 2)));
    Path labels = write("train-labels-idx1-ubyte", labels(4));

    assertEdl(() -> readSplit(dir, "train", "train"))
        .hasMessageStartingWith("Invalid idx split train in " + hadoop(dir))
        .hasMessageContaining(hadoop(images) + " holds 5 images")
        .hasMessageContaining(hadoop(labels) + " holds 4 labels");
  }

  @Test
  void recognisesIdxFolders() throws IOException {
    assertThat(looksLikeIdxFolder(dir)).isFalse();
    assertThat(looksLikeIdxFolder(dir.resolve("missing"))).isFalse();

    writeSplit("train", 2, true);
    write("t10k-images-idx3-ubyte", images(1, 2, 2));
    assertThat(looksLikeIdxFolder(dir)).isFalse();

    write("t10k-labels-idx1-ubyte", labels(1));
    assertThat(looksLikeIdxFolder(dir)).isTrue();
    assertThat(looksLikeIdxFolder(dir.resolve("train-images-idx3-ubyte.gz"))).isFalse();
  }

  @Test
  void readsInstalledFashionMnist() {
    Assumptions.assumeTrue(
        looksLikeIdxFolder(FASHION_MNIST), "Fashion-MNIST is not installed in " + FASHION_MNIST);

    IdxReader.Split train = readSplit(FASHION_MNIST, "train", "train");
    IdxReader.Split test = readSplit(FASHION_MNIST, "t10k", "test");

    assertThat(train.images().count()).isEqualTo(60_000);
    assertThat(train.images().rows()).isEqualTo(28);
    assertThat(train.images().cols()).isEqualTo(28);
    assertThat(train.images().pixels()).hasSize(60_000 * 28 * 28);
    assertThat(train.labels()).hasSize(60_000);
    assertThat(labelRange(train.labels())).containsExactly(0, 9);
    assertThat(test.images().count()).isEqualTo(10_000);
    assertThat(labelRange(test.labels())).containsExactly(0, 9);
  }

  private static int[] labelRange(byte[] labels) {
    IntSummaryStatistics stats =
        IntStream.range(0, labels.length).map(i -> labels[i] & 0xff).summaryStatistics();
    return new int[] {stats.getMin(), stats.getMax()};
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertEdl(ThrowingCallable call) {
    return assertThatThrownBy(call).isInstanceOf(EdlException.class).hasMessageNotContaining("\n");
  }

  private void writeSplit(String prefix, int count, boolean gzipped) throws IOException {
    String suffix = gzipped ? ".gz" : "";
    byte[] images = images(count, 3, 2);
    byte[] labels = labels(count);
    write(prefix + "-images-idx3-ubyte" + suffix, gzipped ? gzip(images) : images);
    write(prefix + "-labels-idx1-ubyte" + suffix, gzipped ? gzip(labels) : labels);
  }

  private Path write(String name, byte[] content) throws IOException {
    return Files.write(dir.resolve(name), content);
  }

  private static byte[] images(int count, int rows, int cols) {
    return concat(header(IdxReader.IMAGES_MAGIC, count, rows, cols), pixels(count * rows * cols));
  }

  private static byte[] noisyImages(int count, int rows, int cols) {
    byte[] pixels = new byte[count * rows * cols];
    new Random(42).nextBytes(pixels);
    return concat(header(IdxReader.IMAGES_MAGIC, count, rows, cols), pixels);
  }

  private static byte[] labels(int count) {
    return concat(header(IdxReader.LABELS_MAGIC, count), labelValues(count));
  }

  private static byte[] pixels(int n) {
    byte[] pixels = new byte[n];
    for (int i = 0; i < n; i++) {
      pixels[i] = (byte) (i * 7 + 3);
    }
    return pixels;
  }

  private static byte[] labelValues(int n) {
    byte[] labels = new byte[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) (i % 10);
    }
    return labels;
  }

  private static byte[] header(int magic, int... dims) {
    ByteBuffer header = ByteBuffer.allocate(4 + 4 * dims.length).putInt(magic);
    for (int dim : dims) {
      header.putInt(dim);
    }
    return header.array();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static byte[] gzip(byte[] content) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      out.write(content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static final IdxReader READER = new IdxReader(local());

  private static org.apache.hadoop.fs.FileSystem local() {
    try {
      return org.apache.hadoop.fs.FileSystem.getLocal(new org.apache.hadoop.conf.Configuration());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static org.apache.hadoop.fs.Path hadoop(Path p) {
    return new org.apache.hadoop.fs.Path(p.toUri());
  }

  private static IdxReader.Images readImages(Path file) {
    return READER.readImages(hadoop(file));
  }

  private static byte[] readLabels(Path file) {
    return READER.readLabels(hadoop(file));
  }

  private static IdxReader.Split readSplit(Path dir, String prefix, String split) {
    return READER.readSplit(hadoop(dir), prefix, split);
  }

  private static boolean looksLikeIdxFolder(Path dir) {
    return READER.looksLikeIdxFolder(hadoop(dir));
  }
}
