ALTER TABLE orders DROP COLUMN cancel_url;
ALTER TABLE orders DROP COLUMN return_url;
ALTER TABLE orders DROP COLUMN customer_email;
ALTER TABLE orders DROP COLUMN customer_phone;
ALTER TABLE orders DROP COLUMN customer_name;
