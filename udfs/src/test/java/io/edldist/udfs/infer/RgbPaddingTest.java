package io.edldist.udfs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RgbPaddingTest {
  @Test
  void greyImagesAreCentredOnA32x32CanvasInThreeChannels() {
    byte[] grey = new byte[28 * 28];
    for (int i = 0; i < grey.length; i++) {
      grey[i] = (byte) (1 + i % 250);
    }
    byte[] rgb = new RgbPadding(28, 28).call(grey);
    assertThat(rgb).hasSize(3 * 32 * 32);
    byte[] red = Arrays.copyOfRange(rgb, 0, 1024);
    assertThat(Arrays.copyOfRange(rgb, 1024, 2048)).isEqualTo(red);
    assertThat(Arrays.copyOfRange(rgb, 2048, 3072)).isEqualTo(red);
    // a 2-pixel black border on every side, the image inside it row by row
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        boolean inside = y >= 2 && y < 30 && x >= 2 && x < 30;
        assertThat(red[y * 32 + x])
            .as("pixel (%d, %d)", y, x)
            .isEqualTo(inside ? grey[(y - 2) * 28 + (x - 2)] : (byte) 0);
      }
    }
  }
}
