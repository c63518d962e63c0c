package auction

// SeededRound is seededRound, for the external tests.
var SeededRound = seededRound
