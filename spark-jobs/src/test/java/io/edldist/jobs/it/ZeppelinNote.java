package io.edldist.jobs.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Zeppelin note (.zpln) read the way Zeppelin runs it: its paragraphs in order, and the text an
 * interpreter receives once the dynamic forms are filled in. Forms follow Zeppelin's simple-form
 * rules ({@code org.apache.zeppelin.display.Input}): note forms {@code $${name=default}} are
 * expanded first, then paragraph forms {@code ${name=default}}; a default up to the first comma,
 * options after it ({@code ${name=default,opt1|opt2}}); {@code name(Display name)}, a {@code
 * type(arg):} prefix (checkbox defaults are {@code |}-separated and joined with the argument, else
 * a comma) and a leading {@code _} (hidden) are understood.
 */
final class ZeppelinNote {
  private static final Pattern PARAGRAPH_FORM =
      Pattern.compile("([_])?[$][{]([^=}]*([=][^}]*)?)[}]");
  private static final Pattern NOTE_FORM = Pattern.compile("([_])?[$]{2}[{]([^=}]*([=][^}]*)?)[}]");
  private static final Pattern TYPE = Pattern.compile("([^:()]*)\\s*([(][^()]*[)])?\\s*:(.*)");
  private static final Pattern DISPLAY_NAME = Pattern.compile("([^(]*)\\s*[(]([^)]*)[)]");

  /** One paragraph: its title and text as stored. */
  record Paragraph(String title, String text) {
    /** The interpreter line, e.g. {@code %spark.sql}; empty when the default interpreter runs. */
    String interpreter() {
      return text.startsWith("%") ? text.lines().findFirst().orElse("").strip() : "";
    }

    /** The text after the interpreter line. */
    String body() {
      return text.startsWith("%") ? text.substring(text.indexOf('\n') + 1) : text;
    }
  }

  private final List<Paragraph> paragraphs;

  private ZeppelinNote(List<Paragraph> paragraphs) {
    this.paragraphs = paragraphs;
  }

  static ZeppelinNote read(Path file) throws IOException {
    JsonNode note = new ObjectMapper().readTree(file.toFile());
    List<Paragraph> out = new ArrayList<>();
    for (JsonNode p : note.path("paragraphs")) {
      out.add(new Paragraph(p.path("title").asText(""), p.path("text").asText("")));
    }
    return new ZeppelinNote(out);
  }

  List<Paragraph> paragraphs() {
    return paragraphs;
  }

  /** Every paragraph whose interpreter line is {@code interpreter}. */
  List<Paragraph> paragraphs(String interpreter) {
    return paragraphs.stream().filter(p -> p.interpreter().equals(interpreter)).toList();
  }

  /**
   * {@code script} with its forms filled in: the value in {@code values} where one is given for the
   * form's name, else the form's default.
   */
  static String expand(String script, Map<String, String> values) {
    return expand(expand(script, values, NOTE_FORM, true), values, PARAGRAPH_FORM, false);
  }

  private static String expand(
      String script, Map<String, String> values, Pattern pattern, boolean noteForm) {
    String replaced = script;
    Matcher match = pattern.matcher(replaced);
    while (match.find()) {
      if (!noteForm && match.start() > 0 && replaced.charAt(match.start() - 1) == '$') {
        continue;
      }
      Form form = Form.of(match.group(2));
      String value = values.containsKey(form.name) ? values.get(form.name) : form.defaultValue;
      // as Zeppelin does: the match, with its leading '_' if any, becomes the value
      replaced = match.replaceFirst(Matcher.quoteReplacement(value));
      match = pattern.matcher(replaced);
    }
    return replaced;
  }

  private record Form(String name, String defaultValue) {
    static Form of(String spec) {
      int eq = spec.indexOf('=');
      String namePart = eq > 0 ? spec.substring(0, eq) : spec;
      String valuePart = eq > 0 ? spec.substring(eq + 1) : null;
      String type = null;
      String argument = null;
      Matcher t = TYPE.matcher(namePart.strip());
      if (t.find()) {
        type = t.group(1).strip();
        argument = t.group(2) == null ? null : t.group(2).strip().replaceAll("[()]", "");
        namePart = t.group(3).strip();
      }
      Matcher d = DISPLAY_NAME.matcher(namePart.strip());
      String name = d.find() ? d.group(1) : namePart.strip();
      String value = "";
      if (valuePart != null) {
        int comma = valuePart.indexOf(',');
        value = comma >= 0 ? valuePart.substring(0, comma) : valuePart;
        if ("checkbox".equals(type)) {
          value = String.join(argument == null ? "," : argument, value.split("\\|"));
        }
      }
      return new Form(name, value);
    }
  }
}
