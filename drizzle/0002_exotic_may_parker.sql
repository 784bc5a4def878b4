ALTER TABLE `campaign_recipients` ADD `variant` text;--> statement-breakpoint
ALTER TABLE `campaign_recipients` ADD `run` integer DEFAULT 1 NOT NULL;