-- attack: collectgarbage runs finalizers on demand
-- expect: error "attempt to call a nil value (global 'collectgarbage')"
collectgarbage()
