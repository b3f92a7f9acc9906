package io.edldist.jobs.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairsTest {
  @Test
  void sidesAlternateWhoGoesFirstAndRatiosArePerPair() {
    List<String> order = new ArrayList<>();
    double[] a = {9, 2, 4, 6};
    double[] b = {9, 1, 1, 3};
    int[] i = {0, 0};
    Pairs.Seconds s =
        Pairs.measure(
            "test",
            3,
            warmup -> {
              order.add(warmup ? "a*" : "a");
              return a[i[0]++];
            },
            warmup -> {
              order.add(warmup ? "b*" : "b");
              return b[i[1]++];
            });
    // warm-up first (not measured), then a-b, b-a, a-b
    assertThat(order).containsExactly("b*", "a*", "a", "b", "b", "a", "a", "b");
    assertThat(s.a()).containsExactly(2.0, 4.0, 6.0);
    assertThat(s.b()).containsExactly(1.0, 1.0, 3.0);
    assertThat(s.aOverB()).containsExactly(2.0, 4.0, 2.0);
  }
}
