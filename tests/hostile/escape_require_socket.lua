-- attack: require of a C module through package.cpath
-- expect: error "module 'socket' not found"
return require("socket")
