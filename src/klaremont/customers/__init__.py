"""The customer data store: people, accounts, addresses, orders, invoices, cards, contacts."""
