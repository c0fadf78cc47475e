-- A channel's own address on its network, as the network reported it:
-- WhatsApp's display phone number, the Telegram bot's username; '' until
-- learned. Not a secret, so kept beside the sealed settings.

ALTER TABLE channels ADD COLUMN address TEXT NOT NULL DEFAULT '';
