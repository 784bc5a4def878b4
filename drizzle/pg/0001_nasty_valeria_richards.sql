CREATE TABLE "rate_buckets" (
	"campaign_id" bigint NOT NULL,
	"key" text NOT NULL,
	"next_at" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"id" text PRIMARY KEY NOT NULL,
	"campaign_id" bigint NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" bigint NOT NULL,
	"heartbeat_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaign_recipients" ADD COLUMN "claimed_by" text;--> statement-breakpoint
CREATE UNIQUE INDEX "rate_buckets_uq" ON "rate_buckets" USING btree ("campaign_id","key");--> statement-breakpoint
CREATE INDEX "workers_campaign_idx" ON "workers" USING btree ("campaign_id","heartbeat_at");