"""What step mode says and asks: the step narration, the quiz, the Fix it pairs and the rules of stepping."""
