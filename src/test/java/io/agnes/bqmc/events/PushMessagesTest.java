package io.agnes.bqmc.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.agnes.bqmc.support.AuditEvents;
import org.junit.jupiter.api.Test;

/**
 * Every real audit entry and push of {@code ../shared/auditevents/} read as its manifest says it
 * should be: a refresh (or a deletion, which is a refresh that finds the table gone) of the table
 * the manifest names, or ignored; each entry inside a push envelope, as a Log Router sink's topic
 * delivers it.
 */
class PushMessagesTest {

    /**
     * Where the manifest leaves the choice to us, what we chose: jobs that wrote a table are a
     * trigger (the issue lists them; the debounce folds them into the table event they come with),
     * and an entry without BigQueryAuditMetadata is ignored (the sink filter never passes one).
     */
    private static final Map<String, String> CHOSEN = Map.of(
            "bqam_edited_inserttable_empty_metadata.json", "ignore");

    @Test
    void everyEntryOfTheCorpusDoesWhatItsManifestSays() {
        int changed = 0;
        int ignored = 0;
        for (Map.Entry<String, JsonNode> file : AuditEvents.files().entrySet()) {
            String name = file.getKey();
            if (name.startsWith("pubsub_") || name.startsWith("oidc_")) {
                continue;
            }
            JsonNode expected = file.getValue();
            String action = CHOSEN.getOrDefault(name, expected.get("expected_action").asText());
            PushMessages.Reading reading = PushMessages.read(
                    AuditEvents.envelope(AuditEvents.read(name), "m-" + name).getBytes(StandardCharsets.UTF_8), null);
            assertThat(reading.messageId()).isEqualTo("m-" + name);
            if (action.startsWith("refresh") || action.startsWith("mark") || action.startsWith("if jobChange is a trigger")
                    || action.startsWith("as bqam_jobchange_dml_insert")) {
                assertThat(reading).as(name).isInstanceOf(PushMessages.Changed.class);
                TableChange change = ((PushMessages.Changed) reading).change();
                assertThat(change.fqn()).as(name).isEqualTo(expected.get("table_named").asText().replace("`", ""));
                assertThat(change.changedAt()).as(name).isEqualTo(AuditEvents.read(name).get("timestamp").asText());
                changed++;
            } else {
                assertThat(action).as(name).startsWith("ignore");
                assertThat(reading).as(name).isInstanceOf(PushMessages.Ignored.class);
                ignored++;
            }
        }
        assertThat(changed).isGreaterThanOrEqualTo(20);
        assertThat(ignored).isGreaterThanOrEqualTo(10);
    }

    @Test
    void whyEachIgnoredEntryIsIgnored() {
        assertThat(reason("bqam_tabledataread_job.json")).isEqualTo("read");
        assertThat(reason("bqam_tabledataread_partition_decorator.json")).isEqualTo("read");
        assertThat(reason("bqam_datasetcreation.json")).isEqualTo("not_a_table_change");
        assertThat(reason("bqam_jobinsertion_running.json")).isEqualTo("job_not_done");
        assertThat(reason("bqam_jobchange_select_anonymous_destination.json")).isEqualTo("anonymous_dataset");
        assertThat(reason("bqam_jobchange_script_parent_job.json")).isEqualTo("job_without_destination");
        assertThat(reason("auditdata_v1_jobservice_insert_failed_dryrun.json")).isIn("v1_format", "failed_call");
        assertThat(reason("auditdata_v1_jobcompleted_query.json")).isEqualTo("v1_format");
        assertThat(reason("bqam_edited_tablechange_without_tablename.json")).isEqualTo("no_table");
        assertThat(reason("bqam_edited_inserttable_empty_metadata.json")).isEqualTo("no_audit_metadata");
    }

    @Test
    void aPartitionDecoratorIsNotPartOfTheTable() {
        PushMessages.Changed changed = (PushMessages.Changed) read("reconstructed_tabledatachange_partition_decorator.json");
        assertThat(changed.change().table()).isEqualTo("events");
        assertThat(PushMessages.tableOf("projects/p/datasets/d/tables/t@1700000000000")).isEqualTo("projects/p/datasets/d/tables/t");
        assertThat(PushMessages.tableOf("projects/p/datasets/d/tables/")).isNull();
        assertThat(PushMessages.tableOf("projects/p/datasets/d/tables/t/extra")).isNull();
        assertThat(PushMessages.tableOf("projects/p/datasets/d")).isNull();
    }

    @Test
    void thePushesOfTheCorpus() {
        // Google's documentation examples: a push whose data is not a log entry is acknowledged
        for (String doc : new String[] {"pubsub_push_doc_example.json", "pubsub_push_doc_all_values.json"}) {
            PushMessages.Reading reading = PushMessages.read(bytes(AuditEvents.read(doc)), null);
            assertThat(reading).as(doc).isEqualTo(new PushMessages.Ignored("2070443601311540", "not_a_log_entry"));
        }
        assertThat(PushMessages.read(bytes(AuditEvents.read("pubsub_push_logsink_nonbigquery.json")), null))
                .isInstanceOf(PushMessages.Ignored.class)
                .extracting(r -> ((PushMessages.Ignored) r).reason()).isEqualTo("not_an_audit_entry");

        JsonNode wrapped = AuditEvents.read("pubsub_push_wrapped_tablecreation.json");
        PushMessages.Reading fromWrapped = PushMessages.read(bytes(wrapped.get("body")), null);
        assertThat(((PushMessages.Changed) fromWrapped).change().fqn()).isEqualTo("my-gcp-project.babynames.person");

        JsonNode unwrapped = AuditEvents.read("pubsub_push_unwrapped_tablecreation.json");
        PushMessages.Reading fromUnwrapped = PushMessages.read(bytes(unwrapped.get("body")),
                unwrapped.get("headers").get("x-goog-pubsub-message-id").asText());
        assertThat(fromUnwrapped.messageId()).isEqualTo("4000000000000002");
        assertThat(((PushMessages.Changed) fromUnwrapped).change())
                .isEqualTo(((PushMessages.Changed) fromWrapped).change());
    }

    @Test
    void whatIsNotAPushIsMalformed() {
        assertThat(kind("not json")).isEqualTo("body_not_json");
        assertThat(kind("[1,2]")).isEqualTo("body_not_an_object");
        assertThat(kind("{\"message\":\"x\"}")).isEqualTo("message_not_an_object");
        assertThat(kind("{\"message\":{\"data\":\"%%%\",\"messageId\":\"1\"}}")).isEqualTo("data_not_base64");
        assertThat(kind("{\"message\":{\"data\":7}}")).isEqualTo("data_not_base64");
        // a message with attributes only is a message: acknowledged
        assertThat(PushMessages.read("{\"message\":{\"attributes\":{\"a\":\"b\"},\"messageId\":\"1\"}}"
                .getBytes(StandardCharsets.UTF_8), null)).isEqualTo(new PushMessages.Ignored("1", "no_data"));
    }

    private static String kind(String body) {
        PushMessages.Reading reading = PushMessages.read(body.getBytes(StandardCharsets.UTF_8), null);
        assertThat(reading).as(body).isInstanceOf(PushMessages.Malformed.class);
        return ((PushMessages.Malformed) reading).kind();
    }

    private static PushMessages.Reading read(String file) {
        return PushMessages.read(AuditEvents.envelope(AuditEvents.read(file), "1").getBytes(StandardCharsets.UTF_8), null);
    }

    private static String reason(String file) {
        PushMessages.Reading reading = read(file);
        assertThat(reading).as(file).isInstanceOf(PushMessages.Ignored.class);
        return ((PushMessages.Ignored) reading).reason();
    }

    private static byte[] bytes(JsonNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }
}
