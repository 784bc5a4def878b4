ALTER TABLE "campaign_recipients" ADD COLUMN "variant" text;--> statement-breakpoint
ALTER TABLE "campaign_recipients" ADD COLUMN "run" integer DEFAULT 1 NOT NULL;