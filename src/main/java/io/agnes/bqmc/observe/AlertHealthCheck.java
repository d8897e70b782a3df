package io.agnes.bqmc.observe;

import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * A check to alert on, outside the liveness and readiness groups: what it reports (a stale
 * cache, a registry file that cannot be imported) is a reason to call someone, never a reason
 * to restart the service or take it out of service while it can still answer.
 */
abstract class AlertHealthCheck extends AbstractHealthCheck {

    AlertHealthCheck(String id) {
        super("bqmc", id);
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    public boolean isReadiness() {
        return false;
    }
}
