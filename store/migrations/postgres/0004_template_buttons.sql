-- The buttons of message templates, as JSON: an array of
-- {"type","text","url","phone_number","otp_type"}; '' for none. Those that
-- take a value when sent (a dynamic URL, a code) are filled after the
-- body's placeholders.

ALTER TABLE templates ADD COLUMN buttons TEXT NOT NULL DEFAULT '';
