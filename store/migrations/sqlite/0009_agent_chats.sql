-- The chats an agent sees are those of their teams and those of no team
-- (team_id 0): an agent's messages log starts from those contacts when
-- they are few (store/messagelog.go).
CREATE INDEX contacts_team ON contacts (account_id, team_id);
