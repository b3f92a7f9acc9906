package io.edldist.jobs.ingest;

import io.edldist.udfs.EdlException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads MNIST / Fashion-MNIST files in the IDX format: a big-endian header (magic number, then one
 * int per dimension) followed by unsigned bytes. Files may be gzipped or plain; gzip is detected by
 * its magic bytes, not by the file name. Every problem with a file (missing, wrong kind, truncated,
 * trailing data, corrupt gzip, absurd header, image and label counts that disagree) is reported as
 * a one-line {@link EdlException} that names the file and says how to fix it. Files are read
 * through Hadoop's FileSystem, so a local folder, {@code s3a://} and {@code hdfs://} all work.
 */
public final class IdxReader {
  static final int IMAGES_MAGIC = 0x00000803;
  static final int LABELS_MAGIC = 0x00000801;

  private static final String[] PREFIXES = {"train", "t10k"};
  private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;
  private static final int BUFFER = 1 << 16;
  private static final String REINSTALL_CMD = "apt-get install --reinstall dataset-fashion-mnist";
  private static final String REINSTALL =
      "Re-download or reinstall the dataset (" + REINSTALL_CMD + ").";
  private static final String WHERE =
      "Pass --data DIR pointing at a folder with the MNIST or Fashion-MNIST idx files"
          + " ({train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]), or install Fashion-MNIST"
          + " with apt-get install -y dataset-fashion-mnist.";

  /**
   * Images of one split: pixels holds count*rows*cols unsigned bytes, row-major, image after image.
   */
  public record Images(Path file, int count, int rows, int cols, byte[] pixels) {
    public Images {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(pixels, "pixels");
      if (count < 0 || rows <= 0 || cols <= 0 || pixels.length != (long) count * rows * cols) {
        throw new IllegalArgumentException(
            pixels.length + " pixels do not match " + count + " images of " + rows + "x" + cols);
      }
    }
  }

  /** One split: images and labels with equal counts. */
  public record Split(String name, Images images, byte[] labels) {
    public Split {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(images, "images");
      Objects.requireNonNull(labels, "labels");
      if (labels.length != images.count()) {
        throw new IllegalArgumentException(
            labels.length + " labels do not match " + images.count() + " images");
      }
    }
  }

  private enum Kind {
    IMAGES(IMAGES_MAGIC, 3, "images", "an images file", "-images-idx3-ubyte"),
    LABELS(LABELS_MAGIC, 1, "labels", "a labels file", "-labels-idx1-ubyte");

    final int magic;
    final int dims;
    final String noun;
    final String aFile;
    final String suffix;

    Kind(int magic, int dims, String noun, String aFile, String suffix) {
      this.magic = magic;
      this.dims = dims;
      this.noun = noun;
      this.aFile = aFile;
      this.suffix = suffix;
    }

    int headerBytes() {
      return 4 + 4 * dims;
    }

    String describeMagic() {
      return String.format("%d (0x%08X, idx %s)", magic, magic, noun);
    }
  }

  private record Source(Path file, InputStream in, boolean gzip, long size) {
    String input() {
      return "idx file " + file;
    }
  }

  @FunctionalInterface
  private interface Body<T> {
    T read(Source src) throws IOException;
  }

  private final FileSystem fs;

  /** A reader of files on {@code fs}. */
  public IdxReader(FileSystem fs) {
    this.fs = fs;
  }

  /** Reads an idx3 images file; throws {@link EdlException} on any problem. */
  public Images readImages(Path file) {
    return read(
        file,
        src -> {
          int[] dims = readHeader(src, Kind.IMAGES);
          int count = dims[0];
          int rows = dims[1];
          int cols = dims[2];
          String shape = count + " images of " + rows + "x" + cols;
          if (count < 0 || rows <= 0 || cols <= 0) {
            throw EdlException.invalid(
                src.input(),
                "absurd dimensions: header says "
                    + shape
                    + " (the count must not be negative, rows and cols must be positive)",
                REINSTALL);
          }
          long perImage = (long) rows * cols;
          long bytes = perImage * count;
          if (perImage > MAX_ARRAY || bytes > MAX_ARRAY) {
            throw EdlException.invalid(
                src.input(),
                "absurd dimensions: header says "
                    + shape
                    + " ("
                    + (perImage > MAX_ARRAY ? "over " + MAX_ARRAY : bytes)
                    + " bytes), more than the "
                    + MAX_ARRAY
                    + " bytes one split can hold",
                REINSTALL);
          }
          byte[] pixels = readBody(src, Kind.IMAGES, bytes, shape + " (" + bytes + " bytes)");
          return new Images(file, count, rows, cols, pixels);
        });
  }

  /** Reads an idx1 labels file and returns the raw labels; the caller checks their range. */
  public byte[] readLabels(Path file) {
    return read(
        file,
        src -> {
          int count = readHeader(src, Kind.LABELS)[0];
          if (count < 0 || count > MAX_ARRAY) {
            throw EdlException.invalid(
                src.input(), "absurd dimensions: header says " + count + " labels", REINSTALL);
          }
          return readBody(src, Kind.LABELS, count, count + " labels (" + count + " bytes)");
        });
  }

  /**
   * Reads {@code <dir>/<prefix>-images-idx3-ubyte[.gz]} and {@code
   * <dir>/<prefix>-labels-idx1-ubyte[.gz]} (prefix "train" or "t10k"; the .gz file is preferred
   * when both exist), and checks that the counts agree.
   */
  public Split readSplit(Path dir, String prefix, String splitName) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(splitName, "splitName");
    String action = "find the idx files of the " + splitName + " split";
    if (!isDirectory(dir)) {
      throw EdlException.cannot(
          action, "folder " + dir + (exists(dir) ? " is not a folder" : " does not exist"), WHERE);
    }
    Path imagesFile = locate(dir, prefix + Kind.IMAGES.suffix);
    Path labelsFile = locate(dir, prefix + Kind.LABELS.suffix);
    if (imagesFile == null || labelsFile == null) {
      List<String> missing = new ArrayList<>();
      for (Kind kind : Kind.values()) {
        Path found = kind == Kind.IMAGES ? imagesFile : labelsFile;
        if (found == null) {
          String base = prefix + kind.suffix;
          missing.add(base + ".gz or " + base);
        }
      }
      throw EdlException.cannot(
          action,
          "looked in " + dir + " for " + String.join(", and for ", missing) + ", and found none",
          WHERE);
    }
    Images images = readImages(imagesFile);
    byte[] labels = readLabels(labelsFile);
    if (labels.length != images.count()) {
      throw EdlException.invalid(
          "idx split " + splitName + " in " + dir,
          "image and label counts disagree: "
              + imagesFile
              + " holds "
              + images.count()
              + " images but "
              + labelsFile
              + " holds "
              + labels.length
              + " labels",
          "Use the images and labels files of the same dataset release, or re-download or"
              + " reinstall the dataset ("
              + REINSTALL_CMD
              + ").");
    }
    return new Split(splitName, images, labels);
  }

  /** True when dir holds both train and t10k image+label files (gz or plain). */
  public boolean looksLikeIdxFolder(Path dir) {
    if (dir == null || !isDirectory(dir)) {
      return false;
    }
    for (String prefix : PREFIXES) {
      for (Kind kind : Kind.values()) {
        if (locate(dir, prefix + kind.suffix) == null) {
          return false;
        }
      }
    }
    return true;
  }

  private Path locate(Path dir, String base) {
    Path gz = new Path(dir, base + ".gz");
    if (isFile(gz)) {
      return gz;
    }
    Path plain = new Path(dir, base);
    return isFile(plain) ? plain : null;
  }

  private boolean isDirectory(Path p) {
    try {
      return fs.getFileStatus(p).isDirectory();
    } catch (IOException e) {
      return false;
    }
  }

  private boolean isFile(Path p) {
    try {
      return fs.getFileStatus(p).isFile();
    } catch (IOException e) {
      return false;
    }
  }

  private boolean exists(Path p) {
    try {
      return fs.exists(p);
    } catch (IOException e) {
      return false;
    }
  }

  private <T> T read(Path file, Body<T> body) {
    Objects.requireNonNull(file, "file");
    String input = "idx file " + file;
    if (isDirectory(file)) {
      throw EdlException.invalid(
          input, "it is a folder, not a file", "Pass the path of an idx file, or --data DIR.");
    }
    try {
      boolean gzip = isGzip(file);
      long size = fs.getFileStatus(file).getLen();
      try (InputStream raw = fs.open(file);
          InputStream in =
              gzip ? new GZIPInputStream(raw, BUFFER) : new BufferedInputStream(raw, BUFFER)) {
        return body.read(new Source(file, in, gzip, size));
      }
    } catch (ZipException | EOFException e) {
      EdlException error =
          EdlException.invalid(
              input, "corrupt or truncated gzip stream (" + firstLine(e) + ")", REINSTALL);
      error.addSuppressed(e);
      throw error;
    } catch (FileNotFoundException e) {
      if (String.valueOf(e.getMessage()).contains("Permission denied")) {
        throw EdlException.cannot(
            "read " + input, "permission denied", "Check that the file exists and is readable.");
      }
      throw EdlException.cannot("read " + input, "no such file", WHERE);
    } catch (IOException e) {
      throw EdlException.cannot(
          "read " + input,
          new IOException(describe(e), e),
          "Check that the file exists and is readable.");
    }
  }

  private boolean isGzip(Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return in.read() == 0x1f && in.read() == 0x8b;
    }
  }

  private static int[] readHeader(Source src, Kind kind) throws IOException {
    byte[] magicBytes = src.in().readNBytes(4);
    if (magicBytes.length < 4) {
      throw truncatedHeader(src, kind, magicBytes.length);
    }
    int magic = ByteBuffer.wrap(magicBytes).getInt();
    if (magic != kind.magic) {
      throw wrongMagic(src, kind, magic);
    }
    byte[] dims = src.in().readNBytes(4 * kind.dims);
    if (dims.length < 4 * kind.dims) {
      throw truncatedHeader(src, kind, 4 + dims.length);
    }
    ByteBuffer header = ByteBuffer.wrap(dims);
    int[] result = new int[kind.dims];
    for (int i = 0; i < kind.dims; i++) {
      result[i] = header.getInt();
    }
    return result;
  }

  private static EdlException truncatedHeader(Source src, Kind kind, int held) {
    String holds =
        held == 0
            ? "the file is empty" + (src.gzip() ? " once uncompressed" : "")
            : "the file holds only " + bytes(held) + (src.gzip() ? " (uncompressed)" : "");
    return EdlException.invalid(
        src.input(),
        "truncated: "
            + holds
            + ", fewer than the "
            + kind.headerBytes()
            + "-byte header of an idx "
            + kind.noun
            + " file",
        REINSTALL);
  }

  private static EdlException wrongMagic(Source src, Kind expected, int found) {
    String problem =
        "wrong magic number: expected "
            + expected.describeMagic()
            + " but found "
            + String.format("%d (0x%08X", found, found);
    String fix;
    Kind other = expected == Kind.IMAGES ? Kind.LABELS : Kind.IMAGES;
    if (found == other.magic) {
      problem +=
          ", idx "
              + other.noun
              + "): this is "
              + other.aFile
              + " where "
              + expected.aFile
              + " was expected";
      fix =
          "Pass a *"
              + expected.suffix
              + "[.gz] file here; if the file names are right, re-download or reinstall the"
              + " dataset ("
              + REINSTALL_CMD
              + ").";
    } else {
      problem += "): this is not an idx " + expected.noun + " file";
      fix = REINSTALL;
    }
    return EdlException.invalid(src.input(), problem, fix);
  }

  private static byte[] readBody(Source src, Kind kind, long expected, String declared)
      throws IOException {
    int header = kind.headerBytes();
    if (!src.gzip()) {
      long held = src.size() - header;
      if (held < expected) {
        throw truncated(src, declared, held, header);
      }
      if (held > expected) {
        throw trailing(src, declared, held - expected);
      }
    }
    long initial = src.gzip() ? Math.max(BUFFER, src.size() * 8) : expected;
    byte[] data = new byte[(int) Math.min(expected, initial)];
    int n = 0;
    while (true) {
      n += src.in().readNBytes(data, n, data.length - n);
      if (n == expected || n < data.length) {
        break;
      }
      data = Arrays.copyOf(data, (int) Math.min(expected, 2L * data.length));
    }
    if (n < expected) {
      throw truncated(src, declared, n, header);
    }
    long extra = src.in().transferTo(OutputStream.nullOutputStream());
    if (extra > 0) {
      throw trailing(src, declared, extra);
    }
    return data;
  }

  private static EdlException truncated(Source src, String declared, long held, int header) {
    return EdlException.invalid(
        src.input(),
        "truncated: header says "
            + declared
            + " but the file holds "
            + (src.gzip() ? held + " uncompressed" + (held == 1 ? " byte" : " bytes") : bytes(held))
            + " after the "
            + header
            + "-byte header",
        REINSTALL);
  }

  private static EdlException trailing(Source src, String declared, long extra) {
    return EdlException.invalid(
        src.input(),
        "trailing data: header says "
            + declared
            + " but "
            + extra
            + (src.gzip() ? " more uncompressed" : " more")
            + (extra == 1 ? " byte follows them" : " bytes follow them"),
        REINSTALL);
  }

  private static String bytes(long n) {
    return n == 1 ? "1 byte" : n + " bytes";
  }

  private static String describe(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    return firstLine(e);
  }

  private static String firstLine(Exception e) {
    String message = e.getMessage();
    if (message == null) {
      return e.getClass().getSimpleName();
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
