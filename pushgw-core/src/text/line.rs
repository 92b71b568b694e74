//! The nom grammar of one text-format line, producing a borrowed [`Line`].
