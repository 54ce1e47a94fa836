-- attack: string.format with a huge width
-- expect: error "invalid conversion"
return string.format("%099999d", 1)
