-- WeChat Pay Native: the code_url the buyer scans, kept so the QR page can show it again
-- without a second order call to WeChat.
ALTER TABLE payments ADD COLUMN code_url TEXT;
