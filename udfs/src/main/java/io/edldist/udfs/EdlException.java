package io.edldist.udfs;

/**
 * A user-facing error: bad usage, configuration or input, or a failure of storage or libtorch that
 * the user can act on. The command line prints its message as one line and exits with code 2. Every
 * message says what is wrong and how to fix it, starting with "Cannot …" or "Invalid …".
 * Programming bugs stay {@link IllegalArgumentException} / {@link IllegalStateException}.
 */
public final class EdlException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private EdlException(String message, Throwable cause) {
    super(message, cause);
  }

  /** "Invalid {input}: {problem}. {fix}" */
  public static EdlException invalid(String input, String problem, String fix) {
    return new EdlException("Invalid " + input + ": " + sentence(problem) + ". " + fix, null);
  }

  /** "Cannot {action}: {reason}. {fix}" */
  public static EdlException cannot(String action, String reason, String fix) {
    return new EdlException("Cannot " + action + ": " + sentence(reason) + ". " + fix, null);
  }

  /** Wraps a failure of storage or libtorch with what was being done. */
  public static EdlException cannot(String action, Throwable cause, String fix) {
    String reason = cause.getMessage() == null ? cause.toString() : firstLine(cause.getMessage());
    return new EdlException("Cannot " + action + ": " + sentence(reason) + ". " + fix, cause);
  }

  /** A user error a Spark task raised, re-raised on the driver with the task's message. */
  public static EdlException fromTask(String message, Throwable jobFailure) {
    return new EdlException(message, jobFailure);
  }

  /** A reason that ends with its own full stop, without it: the message adds one. */
  private static String sentence(String s) {
    return s.endsWith(".") && !s.endsWith("..") ? s.substring(0, s.length() - 1) : s;
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
