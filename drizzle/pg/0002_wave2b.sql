CREATE TABLE "forgotten_addresses" (
	"hash" text PRIMARY KEY NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaign_recipients" ADD COLUMN "variant" text;--> statement-breakpoint
ALTER TABLE "campaign_recipients" ADD COLUMN "run" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "campaigns" ADD COLUMN "archived_at" bigint;--> statement-breakpoint
ALTER TABLE "rate_buckets" ADD COLUMN "next_at" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "rate_buckets" DROP COLUMN "tokens";--> statement-breakpoint
ALTER TABLE "rate_buckets" DROP COLUMN "updated_at";