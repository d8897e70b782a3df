package io.agnes.bqmc.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TargetResolverTest {

    final TargetResolver resolver = new TargetResolver("data-project");

    static RegistryRow row(String id, String bucket, String sourceTable, String fqn) {
        return new RegistryRow(id, id, "bigquery", bucket, sourceTable, "remote", fqn);
    }

    @Test
    void fqnWinsOverBucketAndTable() {
        assertThat(resolver.resolve(row("x", "ignored", "ignored", "other-project.sales.orders")))
                .isEqualTo(new TargetResolver.Resolved(new BigQueryTarget("other-project", "sales", "orders")));
    }

    @Test
    void bucketAndSourceTableUseTheConfiguredProject() {
        assertThat(resolver.resolve(row("x", "sales", "orders", null)))
                .isEqualTo(new TargetResolver.Resolved(new BigQueryTarget("data-project", "sales", "orders")));
        assertThat(resolver.resolve(row("x", "sales", "orders", "")))
                .isEqualTo(new TargetResolver.Resolved(new BigQueryTarget("data-project", "sales", "orders")));
    }

    @Test
    void idIsTheTableWhenSourceTableIsMissing() {
        assertThat(resolver.resolve(row("orders_2024", "sales", null, null)))
                .isEqualTo(new TargetResolver.Resolved(new BigQueryTarget("data-project", "sales", "orders_2024")));
    }

    @Test
    void identifierRulesHoldOverTheWholeString() {
        assertThat(TargetResolver.isIdentifier("t".repeat(128))).isTrue();
        assertThat(TargetResolver.isIdentifier("t".repeat(129))).isFalse();
        assertThat(TargetResolver.isIdentifier("a.b-c_d")).isTrue();
        assertThat(TargetResolver.isIdentifier("-leading")).isFalse();
        assertThat(TargetResolver.isIdentifier("t\n")).isFalse();
        assertThat(TargetResolver.isIdentifier("\nt")).isFalse();
        assertThat(TargetResolver.isIdentifier("")).isFalse();
        assertThat(TargetResolver.isIdentifier("täble")).isFalse();
    }

    @Test
    void withoutAProjectARowWithoutFqnIsNotConfigured() {
        TargetResolver unconfigured = new TargetResolver(null);
        assertThat(unconfigured.resolve(row("x", "sales", "orders", null)))
                .isInstanceOf(TargetResolver.NotConfigured.class);
        assertThat(unconfigured.resolve(row("x", null, null, "p-roject.sales.orders")))
                .isInstanceOf(TargetResolver.Resolved.class);
        assertThat(unconfigured.resolve(row("x", "bad bucket", "orders", null)))
                .isEqualTo(new TargetResolver.Invalid(TargetResolver.INVALID_IDENTIFIER));
    }
}
