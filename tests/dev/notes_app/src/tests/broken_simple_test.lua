local function main()
    error("the simple test failed on purpose")
end

return { main = main }
