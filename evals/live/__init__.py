"""Live-assist evals: replay recorded calls through the hint processor, and time it per customer utterance."""
