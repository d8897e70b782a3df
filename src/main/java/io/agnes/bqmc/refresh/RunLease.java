package io.agnes.bqmc.refresh;

import io.agnes.bqmc.db.Fence;

/**
 * A run's right to go on: checked before every BigQuery request and every write. A run that
 * lost it (its replica froze and another took over) makes no further request and writes
 * nothing; {@link #fence()} makes the database refuse what was already on its way.
 */
public interface RunLease {

    /** A run of this process alone, on a database nobody else runs against: never lost. */
    RunLease LOCAL = new RunLease() {
        @Override
        public boolean held() {
            return true;
        }

        @Override
        public Fence fence() {
            return Fence.NONE;
        }
    };

    boolean held();

    Fence fence();
}
