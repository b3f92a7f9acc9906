package io.edldist.jobs.lake;

import io.edldist.udfs.EdlException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Fails fast, with one line, when an {@code s3a://} location cannot be used: an endpoint that does
 * not answer, credentials the store refuses, a bucket that does not exist. S3A retries such
 * failures for minutes by default (a wrong endpoint took over two minutes to surface); the probe
 * asks once, through a file-system instance of its own with one attempt and short timeouts, and
 * names the bucket and the setting to fix. Each bucket is probed once per JVM; other schemes are
 * not probed (their errors are quick already).
 */
public final class StorageProbe {
  private static final Set<String> PROBED = ConcurrentHashMap.newKeySet();

  private StorageProbe() {}

  /**
   * Checks that {@code location} can be read.
   *
   * @param what the input it is, for the message: "lake", "--data", "teacher.path"
   */
  public static void check(String location, Configuration conf, String what) {
    URI uri = URI.create(location);
    if (!"s3a".equals(uri.getScheme()) || uri.getHost() == null) {
      return;
    }
    String bucket = uri.getHost();
    if (PROBED.contains(bucket + "|" + location)) {
      return;
    }
    Configuration once = new Configuration(conf);
    once.setInt("fs.s3a.attempts.maximum", 1);
    once.setInt("fs.s3a.retry.limit", 1);
    once.set("fs.s3a.retry.interval", "100ms");
    once.setInt("fs.s3a.retry.throttle.limit", 1);
    once.set("fs.s3a.connection.establish.timeout", "5s");
    once.set("fs.s3a.connection.timeout", "10s");
    once.set("fs.s3a.connection.request.timeout", "15s");
    // a HEAD of the bucket when the file system opens
    once.setInt("fs.s3a.bucket.probe", 2);
    Path path = new Path(uri);
    try (FileSystem fs = FileSystem.newInstance(uri, once)) {
      if (path.isRoot()) {
        fs.listStatusIterator(path).hasNext();
      } else {
        fs.getFileStatus(path);
      }
    } catch (FileNotFoundException e) {
      if (isMissingBucket(e)) {
        throw missingBucket(location, bucket, conf, what);
      }
      // the bucket answered; the path itself is new
    } catch (IOException | RuntimeException e) {
      throw explain(location, bucket, conf, what, e);
    }
    PROBED.add(bucket + "|" + location);
  }

  private static EdlException explain(
      String location, String bucket, Configuration conf, String what, Exception e) {
    String first = firstLine(e);
    if (isMissingBucket(e)) {
      return missingBucket(location, bucket, conf, what);
    }
    if (has(e, AccessDeniedException.class)
        || first.contains("403")
        || first.contains("InvalidAccessKeyId")
        || first.contains("SignatureDoesNotMatch")
        || first.contains("AccessDenied")) {
      return EdlException.cannot(
          "open " + what + " " + location,
          "bucket " + bucket + " refused the credentials (" + first + ")",
          "Check spark.hadoop.fs.s3a.access.key and spark.hadoop.fs.s3a.secret.key (or"
              + " fs.s3a.bucket."
              + bucket
              + ".*), or the provider in spark.hadoop.fs.s3a.aws.credentials.provider");
    }
    if (has(e, ConnectException.class)
        || has(e, UnknownHostException.class)
        || has(e, SocketTimeoutException.class)
        || first.contains("Unable to execute HTTP request")
        || first.contains("Connect")) {
      return EdlException.cannot(
          "open " + what + " " + location,
          "the S3 endpoint "
              + endpoint(conf, bucket)
              + " of bucket "
              + bucket
              + " did not answer ("
              + first
              + ")",
          "Check spark.hadoop.fs.s3a.endpoint (or fs.s3a.bucket."
              + bucket
              + ".endpoint) and that the store is reachable from here");
    }
    return EdlException.cannot(
        "open " + what + " " + location,
        e,
        "Check the spark.hadoop.fs.s3a.* settings for bucket " + bucket);
  }

  private static EdlException missingBucket(
      String location, String bucket, Configuration conf, String what) {
    return EdlException.cannot(
        "open " + what + " " + location,
        "bucket " + bucket + " does not exist at " + endpoint(conf, bucket),
        "Create the bucket, or point " + what + " at an existing one");
  }

  private static boolean isMissingBucket(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String name = t.getClass().getSimpleName();
      String message = String.valueOf(t.getMessage());
      if (name.equals("UnknownStoreException")
          || name.equals("NoSuchBucketException")
          || message.contains("NoSuchBucket")
          || message.contains("does not exist")) {
        return true;
      }
    }
    return false;
  }

  private static String endpoint(Configuration conf, String bucket) {
    String own = conf.get("fs.s3a.bucket." + bucket + ".endpoint");
    String any = own != null ? own : conf.get("fs.s3a.endpoint");
    return any == null || any.isBlank() ? "(AWS default)" : any;
  }

  private static boolean has(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return (nl < 0 ? m : m.substring(0, nl)).strip();
  }
}
