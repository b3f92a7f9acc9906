package io.edldist.jobs.bench;

import io.edldist.jobs.lake.LocalFiles;
import io.edldist.jobs.results.BenchResult;
import io.edldist.jobs.results.Stats;
import io.edldist.jobs.runtime.Sessions;
import io.edldist.udfs.EdlException;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * What a user would run instead of the pipeline: a plain PyTorch loop over the same rows, in {@code
 * /usr/bin/python3} processes running the jar's copy of {@code bench/baselines/pytorch_infer.py}.
 * The model is the same layout traced by PyTorch from a seed (time per sample does not depend on
 * the weights' values); the rows are the DJL loop's, written once as float32, so PyTorch's side
 * reads no file and converts nothing while it is timed.
 *
 * <p>Its setting is swept like the DJL loop's: processes side by side x threads each, at the same
 * batch sizes, each once as a user would start it and once with the allocator settings the project
 * gives libtorch ({@link Sessions#NATIVE_MEMORY_ENV}); the fastest is kept. Processes stay up
 * between calls, so every timed call is warm.
 */
final class PyTorchLoop implements AutoCloseable {
  static final String PYTHON = "/usr/bin/python3";
  static final String USER = "user";
  static final String PROJECT = "project";

  private final Path dir;
  private final Path model;
  private final Path rows;
  private final int[] shape;
  private final List<BenchResult.BareLoop> sweep = new ArrayList<>();
  private List<Worker> workers = List.of();
  private BenchResult.BareLoop running;

  /** Null when {@link #PYTHON} imports torch; else why not, for the line that skips the part. */
  static String whyNot() {
    try {
      Process p =
          new ProcessBuilder(PYTHON, "-c", "import torch")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return null;
      }
      p.destroyForcibly();
      return PYTHON + " cannot import torch (apt-get install python3-torch)";
    } catch (IOException e) {
      return "no " + PYTHON;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /**
   * Traces {@code arch} ({@code fixture}: the TorchScript test teacher's layout, {@code cnn}: the
   * default teacher's) for samples of {@code shape} and writes {@code source} beside it.
   */
  static PyTorchLoop open(String arch, int[] shape, int classes, float[][] source) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("edl-dist-bench-pytorch");
      Path script = dir.resolve("pytorch_infer.py");
      try (InputStream in = PyTorchLoop.class.getResourceAsStream("pytorch_infer.py")) {
        if (in == null) {
          throw new IOException("pytorch_infer.py is not in the job jar: rebuild it");
        }
        Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
      }
      Path model = dir.resolve(arch + ".pt");
      run(
          dir,
          List.of(
              "--make",
              arch,
              model.toString(),
              "--shape",
              shapeArg(shape),
              "--classes",
              Integer.toString(classes)));
      Path rows = dir.resolve("rows.f32");
      try (DataOutputStream out =
          new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(rows)))) {
        for (float[] row : source) {
          for (float v : row) {
            out.writeInt(Integer.reverseBytes(Float.floatToIntBits(v)));
          }
        }
      }
      return new PyTorchLoop(dir, model, rows, shape);
    } catch (IOException e) {
      deleteQuietly(dir);
      throw EdlException.cannot("set up the PyTorch loop", e, "Check free space in /tmp");
    }
  }

  private PyTorchLoop(Path dir, Path model, Path rows, int[] shape) {
    this.dir = dir;
    this.model = model;
    this.rows = rows;
    this.shape = shape;
  }

  /** The traced model, for the pipeline to score with the same file. */
  Path model() {
    return model;
  }

  /** Every setting tried by {@link #fastest}, with its rate. */
  List<BenchResult.BareLoop> sweep() {
    return sweep;
  }

  /**
   * The fastest setting on {@code cores} cores: every split into processes x threads, at batch
   * sizes around {@code batchSize}, with either allocator; each warmed up on a few batches, then
   * timed three times over about {@code sweepSeconds} of rows; the median.
   */
  BenchResult.BareLoop fastest(int cores, int batchSize, double sweepSeconds) {
    BenchResult.BareLoop best = null;
    for (String allocator : List.of(USER, PROJECT)) {
      for (int loops = 1; loops <= cores; loops++) {
        if (cores % loops != 0) {
          continue;
        }
        int threads = cores / loops;
        for (int batch : new int[] {Math.max(1, batchSize / 4), batchSize, batchSize * 4}) {
          BenchResult.BareLoop setting =
              new BenchResult.BareLoop(loops, threads, batch, 0, allocator);
          long warmRows = 4L * batch * loops;
          double warm = seconds(warmRows, setting);
          long count = Math.max(warmRows, (long) (sweepSeconds * warmRows / warm));
          List<Double> times = new ArrayList<>();
          for (int i = 0; i < 3; i++) {
            times.add(seconds(count, setting));
          }
          BenchResult.BareLoop b = setting.withRate(count / Stats.median(times));
          sweep.add(b);
          System.err.printf(
              Locale.ROOT,
              "bench: PyTorch loop, %d process(es) x %d thread(s), batch %d, %s allocator: %,.0f"
                  + " samples/s%n",
              loops,
              threads,
              batch,
              allocator,
              b.samplesPerS());
          if (best == null || b.samplesPerS() > best.samplesPerS()) {
            best = b;
          }
        }
      }
    }
    return best;
  }

  /** Seconds for {@code setting} to score {@code count} rows, its processes' share each. */
  double seconds(long count, BenchResult.BareLoop setting) {
    try {
      if (!sameProcesses(setting)) {
        stopWorkers();
        workers = new ArrayList<>(); // filled one by one, so close() stops what did start
        for (int i = 0; i < setting.loops(); i++) {
          workers.add(new Worker(setting.threads(), setting.allocator()));
        }
        running = setting;
      }
      long per = (count + workers.size() - 1) / workers.size();
      long start = System.nanoTime();
      long left = count;
      for (Worker w : workers) {
        long share = Math.min(per, left);
        left -= share;
        w.ask(share, setting.batch());
      }
      for (Worker w : workers) {
        w.answer();
      }
      return Pairs.seconds(start);
    } catch (IOException e) {
      throw EdlException.cannot("run the PyTorch loop", e, "See " + dir.resolve("stderr-*.log"));
    }
  }

  private boolean sameProcesses(BenchResult.BareLoop setting) {
    return running != null
        && running.loops() == setting.loops()
        && running.threads() == setting.threads()
        && running.allocator().equals(setting.allocator());
  }

  /** One {@code --serve} process. */
  private final class Worker {
    private final Process process;
    private final Writer in;
    private final BufferedReader out;
    private final Path log;

    Worker(int threads, String allocator) throws IOException {
      log = Files.createTempFile(dir, "stderr-", ".log");
      ProcessBuilder pb =
          new ProcessBuilder(
                  command(
                      dir,
                      List.of(
                          "--serve",
                          model.toString(),
                          "--rows",
                          rows.toString(),
                          "--shape",
                          shapeArg(shape),
                          "--threads",
                          Integer.toString(threads))))
              .redirectError(log.toFile());
      Sessions.NATIVE_MEMORY_ENV.keySet().forEach(pb.environment()::remove);
      if (allocator.equals(PROJECT)) {
        pb.environment().putAll(Sessions.NATIVE_MEMORY_ENV);
      }
      process = pb.start();
      in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
      out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
      try {
        expect("ready");
      } catch (IOException e) {
        stop();
        throw e;
      }
    }

    void ask(long count, int batch) throws IOException {
      in.write(count + " " + batch + "\n");
      in.flush();
    }

    void answer() throws IOException {
      expect(null);
    }

    /** The next line, which must be {@code word} when it is not null; waits at most an hour. */
    private void expect(String word) throws IOException {
      long deadline = System.nanoTime() + TimeUnit.HOURS.toNanos(1);
      while (!out.ready() && process.isAlive() && System.nanoTime() < deadline) {
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      String line = out.ready() || !process.isAlive() ? out.readLine() : null;
      if (line == null || (word != null && !line.equals(word))) {
        List<String> err = Files.readAllLines(log);
        throw new IOException(
            "the PyTorch loop stopped: " + (err.isEmpty() ? line : err.get(err.size() - 1)));
      }
    }

    void stop() {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  private void stopWorkers() {
    workers.forEach(Worker::stop);
    workers = List.of();
    running = null;
  }

  private static List<String> command(Path dir, List<String> args) {
    List<String> c = new ArrayList<>(List.of(PYTHON, dir.resolve("pytorch_infer.py").toString()));
    c.addAll(args);
    return c;
  }

  private static void run(Path dir, List<String> args) throws IOException {
    List<String> c = command(dir, args);
    Path log = dir.resolve("make.log");
    Process p =
        new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IOException(
            "tracing the PyTorch model failed: "
                + Files.readAllLines(log).stream().collect(Collectors.joining(" | ")));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static String shapeArg(int[] shape) {
    return Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(","));
  }

  @Override
  public void close() {
    stopWorkers();
    deleteQuietly(dir);
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try {
      LocalFiles.deleteTree(dir);
    } catch (IOException e) {
      System.err.println("bench: could not delete " + dir + ": " + e.getMessage());
    }
  }
}
