package io.edldist.jobs.blockwise;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A static assignment of blocks to executor slots, each slot training its blocks one after another:
 * the schedule's time is its makespan, the load of the busiest slot.
 *
 * <ul>
 *   <li>{@link #lpt}: longest processing time first: blocks sorted by measured cost, descending,
 *       each given to the least-loaded slot so far; at most 4/3 of the optimal makespan. O(n log n
 *       + n x slots).
 *   <li>{@link #roundRobin}: block i to slot i mod slots, blind to cost; the comparison point.
 * </ul>
 *
 * @param slots for each slot, the indexes (into the cost array) of its blocks, in training order
 * @param costs the cost of each block, e.g. seconds
 */
public record BlockSchedule(List<List<Integer>> slots, double[] costs) {
  /** The two policies, by their {@code blockwise.schedule} names. */
  public static BlockSchedule of(String policy, double[] costs, int slots) {
    return switch (policy) {
      case "lpt" -> lpt(costs, slots);
      case "round-robin" -> roundRobin(costs, slots);
      default -> throw new IllegalArgumentException("unknown schedule " + policy);
    };
  }

  public static BlockSchedule lpt(double[] costs, int slots) {
    List<List<Integer>> assignment = empty(slots);
    double[] load = new double[slots];
    List<Integer> byCost =
        IntStream.range(0, costs.length)
            .boxed()
            .sorted(Comparator.comparingDouble((Integer i) -> -costs[i]).thenComparing(i -> i))
            .toList();
    for (int block : byCost) {
      int least = 0;
      for (int s = 1; s < slots; s++) {
        if (load[s] < load[least]) {
          least = s;
        }
      }
      assignment.get(least).add(block);
      load[least] += costs[block];
    }
    return new BlockSchedule(assignment, costs.clone());
  }

  public static BlockSchedule roundRobin(double[] costs, int slots) {
    List<List<Integer>> assignment = empty(slots);
    for (int i = 0; i < costs.length; i++) {
      assignment.get(i % slots).add(i);
    }
    return new BlockSchedule(assignment, costs.clone());
  }

  /** The load of the busiest slot. */
  public double makespan() {
    double max = 0;
    for (List<Integer> slot : slots) {
      max = Math.max(max, slot.stream().mapToDouble(i -> costs[i]).sum());
    }
    return max;
  }

  /** Sequential time over the schedule's time: the speedup the schedule allows. */
  public double projectedSpeedup() {
    double makespan = makespan();
    return makespan == 0 ? 1 : java.util.Arrays.stream(costs).sum() / makespan;
  }

  /** The slots that hold at least one block, as mutable lists Spark can serialise. */
  public List<ArrayList<Integer>> busySlots() {
    return slots.stream().filter(s -> !s.isEmpty()).map(ArrayList::new).toList();
  }

  private static List<List<Integer>> empty(int slots) {
    if (slots < 1) {
      throw new IllegalArgumentException("slots must be >= 1");
    }
    List<List<Integer>> out = new ArrayList<>();
    for (int s = 0; s < slots; s++) {
      out.add(new ArrayList<>());
    }
    return out;
  }
}
