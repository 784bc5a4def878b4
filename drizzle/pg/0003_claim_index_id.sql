DROP INDEX "campaign_recipients_claim_idx";--> statement-breakpoint
CREATE INDEX "campaign_recipients_claim_idx" ON "campaign_recipients" USING btree ("campaign_id","state","next_attempt_at","id");