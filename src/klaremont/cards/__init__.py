"""Card handling: payment-provider port, tokenised cards, masking, and the card-data guard."""
