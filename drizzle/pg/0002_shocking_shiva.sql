ALTER TABLE "rate_buckets" ADD COLUMN "next_at" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "rate_buckets" DROP COLUMN "tokens";--> statement-breakpoint
ALTER TABLE "rate_buckets" DROP COLUMN "updated_at";