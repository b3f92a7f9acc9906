package io.edldist.jobs.blockwise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class BlockScheduleTest {
  @Test
  void lptGivesEachBlockToTheLeastLoadedSlotInDescendingCostOrder() {
    double[] costs = {3, 1, 4, 1, 5, 9};
    BlockSchedule s = BlockSchedule.lpt(costs, 2);
    assertThat(s.slots()).containsExactly(List.of(5, 0), List.of(4, 2, 1, 3));
    assertThat(s.makespan()).isEqualTo(12);
    assertThat(s.projectedSpeedup()).isCloseTo(23.0 / 12, within(1e-9));
  }

  @Test
  void roundRobinIgnoresCostAndLosesToLptOnUnevenBlocks() {
    double[] costs = {1, 1, 1, 1, 1, 9};
    BlockSchedule rr = BlockSchedule.roundRobin(costs, 2);
    assertThat(rr.slots()).containsExactly(List.of(0, 2, 4), List.of(1, 3, 5));
    assertThat(rr.makespan()).isEqualTo(11);
    assertThat(BlockSchedule.lpt(costs, 2).makespan()).isEqualTo(9);
  }

  @Test
  void moreSlotsThanBlocksLeavesSlotsIdleAndTheLargestBlockBoundsTheMakespan() {
    double[] costs = {2, 7, 3};
    BlockSchedule s = BlockSchedule.of("lpt", costs, 8);
    assertThat(s.busySlots()).hasSize(3);
    assertThat(s.makespan()).isEqualTo(7);
    assertThat(BlockSchedule.of("round-robin", costs, 1).makespan()).isEqualTo(12);
  }
}
