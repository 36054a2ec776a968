package dev.ember.compute.dsl;

import java.util.Arrays;

/**
 * Launch geometry: {@code groups[d]} work-groups of {@code local[d]} items in each of up to three
 * dimensions (global size = groups × local). There are no partial work-groups: kernels bound-check.
 */
public record Launch(int[] groups, int[] local) {
    public Launch {
        if (groups.length != 3 || local.length != 3) throw new IllegalArgumentException("Launch needs 3 dimensions");
        for (int d = 0; d < 3; d++) {
            if (groups[d] < 1 || local[d] < 1) {
                throw new IllegalArgumentException("Launch sizes must be >= 1: groups " + Arrays.toString(groups) + " local " + Arrays.toString(local));
            }
        }
        groups = groups.clone();
        local = local.clone();
    }

    /** {@code groups} work-groups of {@code local} items along dimension 0. */
    public static Launch of(int groups, int local) {
        return new Launch(new int[] {groups, 1, 1}, new int[] {local, 1, 1});
    }

    /** A 2-D grid of work-groups, each {@code local} items along dimension 0. */
    public static Launch of(int groupsX, int groupsY, int local) {
        return new Launch(new int[] {groupsX, groupsY, 1}, new int[] {local, 1, 1});
    }

    /** Enough groups of {@code local} items to cover {@code items} work items along dimension 0. */
    public static Launch cover(int items, int local) {
        return of(Math.max(1, (items + local - 1) / local), local);
    }

    public int groupCount() {
        return groups[0] * groups[1] * groups[2];
    }

    public int localCount() {
        return local[0] * local[1] * local[2];
    }

    public long globalSize(int d) {
        return (long) groups[d] * local[d];
    }

    @Override
    public String toString() {
        return "Launch[groups=" + Arrays.toString(groups) + ", local=" + Arrays.toString(local) + "]";
    }
}
