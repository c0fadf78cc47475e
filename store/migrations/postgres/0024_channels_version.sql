-- A version of each account's channels, moved by every change of one of
-- them: an API key is read with its account's version, and an instance
-- keeps an account's channels in memory as read at one version, so that a
-- request uses them only when they are as new as its key says (docs/
-- architecture.md, "Channels kept in memory"). A trigger moves it, so that
-- every writer does: this binary, another instance, an older binary during
-- an upgrade, an operator's SQL. Versions start at 1; 0 means "not read".
ALTER TABLE accounts ADD COLUMN channels_version BIGINT NOT NULL DEFAULT 1;
CREATE FUNCTION channels_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE accounts SET channels_version = channels_version + 1 WHERE id = OLD.account_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.account_id <> OLD.account_id) THEN
        UPDATE accounts SET channels_version = channels_version + 1 WHERE id = NEW.account_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER channels_changed AFTER INSERT OR UPDATE OR DELETE ON channels
    FOR EACH ROW EXECUTE FUNCTION channels_changed();
