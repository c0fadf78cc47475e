-- A version of each account's channels, moved by every change of one of
-- them: an API key is read with its account's version, and an instance
-- keeps an account's channels in memory as read at one version, so that a
-- request uses them only when they are as new as its key says (docs/
-- architecture.md, "Channels kept in memory"). Triggers move it, so that
-- every writer does: this binary, another instance, an older binary during
-- an upgrade, an operator's SQL. Versions start at 1; 0 means "not read".
ALTER TABLE accounts ADD COLUMN channels_version INTEGER NOT NULL DEFAULT 1;
CREATE TRIGGER channels_inserted AFTER INSERT ON channels BEGIN
    UPDATE accounts SET channels_version = channels_version + 1 WHERE id = NEW.account_id;
END;
CREATE TRIGGER channels_updated AFTER UPDATE ON channels BEGIN
    UPDATE accounts SET channels_version = channels_version + 1 WHERE id IN (OLD.account_id, NEW.account_id);
END;
CREATE TRIGGER channels_deleted AFTER DELETE ON channels BEGIN
    UPDATE accounts SET channels_version = channels_version + 1 WHERE id = OLD.account_id;
END;
