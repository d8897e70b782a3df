package io.agnes.bqmc.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class RegistryFileParserTest {

    @Test
    void readsRowsWithTheirLines() throws Exception {
        List<RegistryFileRow> rows = RegistryFileParser.parse("""
                # comment
                - id: a
                  bucket: ds
                  bq_fqn: null
                - {id: b, query_mode: remote, source_type: bigquery}
                """);
        assertThat(rows).containsExactly(
                new RegistryFileRow(2, "a", "a", null, "ds", null, "local", null),
                new RegistryFileRow(5, "b", "b", "bigquery", null, null, "remote", null));
    }

    @Test
    void rejectsWithTheLine() {
        assertThatThrownBy(() -> RegistryFileParser.parse("- id: a\n- id: a\n"))
                .isInstanceOf(RegistryFileException.class).hasMessageContaining("line 2").hasMessageContaining("duplicate");
        assertThatThrownBy(() -> RegistryFileParser.parse("- id: a\n- name: no id\n"))
                .hasMessageContaining("line 2").hasMessageContaining("id");
        assertThatThrownBy(() -> RegistryFileParser.parse("id: a\n"))
                .hasMessageContaining("line 1").hasMessageContaining("list");
        assertThatThrownBy(() -> RegistryFileParser.parse("- id: a\n  bucket: [x, y]\n"))
                .hasMessageContaining("line 2").hasMessageContaining("bucket");
        assertThatThrownBy(() -> RegistryFileParser.parse("- id: a\n  id: b\n"))
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> RegistryFileParser.parse("- id: \"a\\nb\"\n"))
                .hasMessageContaining("control");
        assertThatThrownBy(() -> RegistryFileParser.parse("- id: a\n\t- bad\n"))
                .hasMessageContaining("not valid YAML");
    }
}
