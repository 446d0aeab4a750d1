"""Article text → candidate numbers, proposed facts, arithmetic claims and a draft brief."""
