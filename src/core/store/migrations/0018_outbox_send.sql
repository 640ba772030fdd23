-- 0018: kesu's own outbox sender (loop/mailer.c). The outbox (0010) stays the contract for an
-- external mailer; when kesu sends itself it keeps its state in these columns, so a restart
-- knows what was tried. Times are unix milliseconds.
--
-- send_state: NULL     not yet looked at by kesu's sender (an external mailer may take it)
--             sending  claimed for an attempt (claimed_at): never claimed again, so a message
--                      is sent at most once; still 'sending' after the attempt's time limit
--                      means the sender died mid-attempt, and the row becomes 'interrupted'
--             retry    the last attempt failed; the next one not before next_at
--             sent     delivered by kesu (sent_at set, channel says how)
--             failed   every attempt failed (outbox_max_attempts)
--             no_address   no e-mail address (and no phone with an SMS gateway) to send to
--             external     a username without an e-mail address: left for an external mailer
--             skipped      a survey link that expired before it could be sent
--             interrupted  see sending
ALTER TABLE outbox ADD COLUMN send_state TEXT;
ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;
ALTER TABLE outbox ADD COLUMN next_at INTEGER;
ALTER TABLE outbox ADD COLUMN channel TEXT;   -- email or sms, once kesu sent it

-- What the sender looks at: unsent rows it has still to try (its WHERE repeats this term).
CREATE INDEX outbox_to_send ON outbox(id)
    WHERE sent_at IS NULL AND (send_state IS NULL OR send_state IN ('retry', 'sending'));
-- The survey a survey_link message carries (an expired link is not sent).
CREATE INDEX surveys_outbox ON surveys(outbox_id) WHERE outbox_id IS NOT NULL;
