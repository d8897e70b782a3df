-- The two platform tables this service reads and writes, as the Agnes platform's migrations create
-- them on PostgreSQL (../shared/PLATFORM-SCHEMA.md). For standalone use only: next to the platform,
-- its migrations own these tables. Run by `java -jar bq-metadata-cache.jar db init-platform`.
CREATE TABLE IF NOT EXISTS table_registry (
    id varchar NOT NULL PRIMARY KEY,
    name varchar NOT NULL,
    source_type varchar,
    bucket varchar,
    source_table varchar,
    source_query text,
    sync_strategy varchar NOT NULL DEFAULT 'full_refresh',
    query_mode varchar NOT NULL DEFAULT 'local',
    sync_schedule varchar,
    profile_after_sync boolean NOT NULL DEFAULT true,
    primary_key varchar,
    folder varchar,
    description text,
    registered_by varchar,
    registered_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    incremental_window_days integer,
    max_history_days integer,
    incremental_column varchar,
    where_filters varchar,
    partition_by varchar,
    partition_granularity varchar,
    initial_load_chunk_days integer
);
CREATE INDEX IF NOT EXISTS idx_table_registry_source_type ON table_registry (source_type);
CREATE INDEX IF NOT EXISTS idx_table_registry_query_mode ON table_registry (query_mode);
CREATE TABLE IF NOT EXISTS bq_metadata_cache (
    table_id varchar NOT NULL PRIMARY KEY,
    rows bigint,
    size_bytes bigint,
    partition_by varchar,
    clustered_by jsonb,
    entity_type varchar,
    known_columns jsonb,
    refreshed_at timestamptz,
    error_at timestamptz,
    error_msg varchar
);
