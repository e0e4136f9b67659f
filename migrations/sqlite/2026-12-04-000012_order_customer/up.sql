-- Who an order is for (the shop's eyes only), and where its payment page sends the customer
-- back to the storefront: once paid (signed), or to choose another way to pay.
ALTER TABLE orders ADD COLUMN customer_name TEXT;
ALTER TABLE orders ADD COLUMN customer_phone TEXT;
ALTER TABLE orders ADD COLUMN customer_email TEXT;
ALTER TABLE orders ADD COLUMN return_url TEXT;
ALTER TABLE orders ADD COLUMN cancel_url TEXT;
