-- FerretDB v1 on PostgreSQL pushes an equality filter down as jsonb containment
-- (`_jsonb -> 'field' @> value`), which the btree expression indexes it creates cannot
-- serve, so every query would scan its table. This event trigger gives each of those
-- indexes a GIN twin over the same expressions, which containment can use: lookups by
-- `_id` and by any indexed field become index scans. Idempotent; installed by the local
-- stack only (compose and Kubernetes run real MongoDB).
CREATE OR REPLACE FUNCTION palaver_gin_twin() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  command record;
  columns text;
  twin text;
BEGIN
  FOR command IN
    SELECT c.objid, i.indrelid, i.indnatts, am.amname, cl.relname
    FROM pg_event_trigger_ddl_commands() c
    JOIN pg_index i ON i.indexrelid = c.objid
    JOIN pg_class cl ON cl.oid = c.objid
    JOIN pg_am am ON am.oid = cl.relam
    WHERE c.command_tag = 'CREATE INDEX'
  LOOP
    CONTINUE WHEN command.amname <> 'btree';
    -- Only FerretDB's indexes: every key an expression over its _jsonb column.
    SELECT string_agg(pg_get_indexdef(command.objid, n, true) || ' jsonb_path_ops', ', ' ORDER BY n)
      INTO columns
      FROM generate_series(1, command.indnatts) AS n
      WHERE pg_get_indexdef(command.objid, n, true) LIKE '(_jsonb -> %';
    CONTINUE WHEN columns IS NULL OR array_length(string_to_array(columns, ', '), 1) <> command.indnatts;
    twin := left(command.relname, 58) || '_gin';
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin (%s) WITH (fastupdate = off)',
      twin, command.indrelid::regclass, columns);
  END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS palaver_gin_twins;
CREATE EVENT TRIGGER palaver_gin_twins ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION palaver_gin_twin();
