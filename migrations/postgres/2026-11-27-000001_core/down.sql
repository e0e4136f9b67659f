DROP TABLE admin_users;
DROP TABLE settings;
DROP TABLE rejected_items;
DROP TABLE bank_transactions;
DROP TABLE webhook_deliveries;
DROP TABLE orders;
