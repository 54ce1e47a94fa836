-- attack: load(string.dump(f)) runs bytecode
-- expect: error "attempt to call a nil value (field 'dump')"
return load(string.dump(function() return 1 end))()
