package io.agnes.bqmc.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.agnes.bqmc.bigquery.BigQueryTarget;
import org.junit.jupiter.api.Test;

class TargetResolverTest {

    final TargetResolver resolver = new TargetResolver("data-project");

    static RegistryRow row(String id, String bucket, String sourceTable, String fqn) {
        return new RegistryRow(id, id, "bigquery", bucket, sourceTable, fqn, true);
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
        assertThat(resolver.resolve(row("x", "sales", "t".repeat(128), null))).isInstanceOf(TargetResolver.Resolved.class);
        for (String bad : new String[] {"t".repeat(129), "-leading", "t\n", "\nt", "täble", "two words"}) {
            assertThat(resolver.resolve(row("x", "sales", bad, null))).as(bad)
                    .isEqualTo(new TargetResolver.Invalid("invalid bucket/source_table identifier"));
            assertThat(resolver.resolve(row("x", bad, "t", null))).as(bad)
                    .isEqualTo(new TargetResolver.Invalid("invalid bucket/source_table identifier"));
        }
        assertThat(resolver.resolve(row("x", "a.b-c_d", "t", null))).isInstanceOf(TargetResolver.Resolved.class);
        assertThat(resolver.resolve(row("x", "", "t", null)))
                .isEqualTo(new TargetResolver.Invalid("invalid bucket/source_table identifier"));
    }

    @Test
    void withoutAProjectARowWithoutFqnIsNotConfigured() {
        TargetResolver unconfigured = new TargetResolver(null);
        assertThat(unconfigured.resolve(row("x", "sales", "orders", null)))
                .isInstanceOf(TargetResolver.NotConfigured.class);
        assertThat(unconfigured.resolve(row("x", null, null, "p-roject.sales.orders")))
                .isInstanceOf(TargetResolver.Resolved.class);
        assertThat(unconfigured.resolve(row("x", "bad bucket", "orders", null)))
                .isEqualTo(new TargetResolver.Invalid("invalid bucket/source_table identifier"));
    }
}
